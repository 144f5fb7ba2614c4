## misc_reference_values.csv, "PROCESS model 4" row: Hayes' PROCESS (SPSS/SAS macro) model 4 on
## the pmi data (Tal-Or et al. 2010), as printed in Hayes (2013) and checked in CRAN psych's
## tests/testthat/test_mediate.r. PROCESS itself is not run here: model 4's path coefficients
## are ordinary least squares, so lm() reproduces the printed a, b, c', c and ab = a * b with
## their t values (PROCESS's bootstrap intervals are not part of the reference).
##
## Run from tests/reference:  Rscript R/process_model4_pmi.R   (reads Tal_Or_pmi.csv)
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")
pmi <- read.csv("Tal_Or_pmi.csv")
m <- summary(lm(pmi ~ cond, data = pmi))$coefficients
y <- summary(lm(reaction ~ cond + pmi, data = pmi))$coefficients
total <- summary(lm(reaction ~ cond, data = pmi))$coefficients
file <- "misc_reference_values.csv"
k <- function(i) sprintf("method=PROCESS model 4&quantity=a / b / c' / c / ab#reference_value[%d]", i)
# reference_value "0.4765 (t 2.0218) / 0.5064 (t 5.2185) / 0.2544 (t 0.9943) / ..." : numbers in order
out(file, k(0), m["cond", "Estimate"]);      out(file, k(1), m["cond", "t value"])
out(file, k(2), y["pmi", "Estimate"]);       out(file, k(3), y["pmi", "t value"])
out(file, k(4), y["cond", "Estimate"]);      out(file, k(5), y["cond", "t value"])
out(file, k(6), total["cond", "Estimate"]);  out(file, k(7), total["cond", "t value"])
out(file, k(8), m["cond", "Estimate"] * y["pmi", "Estimate"])
cat(sprintf("# %s\n", R.version.string), file = stderr())
