## The MASS::polr values that tests/test_models_regression.py imports from statsmodels' test suite
## (statsmodels/miscmodels/tests/results/results_ordinal_model.py, `res_ord_logit`, computed
## there with R 3.4.4): the ordered logit of the UCLA example apply ~ pared + public + gpa.
##
## Run from tests/reference:  Rscript R/mass_polr_ucla.R   (reads ologit_ucla.csv)
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
suppressPackageStartupMessages(library(MASS))
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")
d <- read.csv("ologit_ucla.csv")
d$apply <- factor(d$apply, levels = c("unlikely", "somewhat likely", "very likely"))
r <- polr(apply ~ pared + public + gpa, data = d, method = "logistic", Hess = TRUE)
ct <- coef(summary(r))
target <- "statsmodels:res_ord_logit"
for (term in c("pared", "public", "gpa")) {
  out(target, sprintf("coefficients_val[%s]", term), ct[term, "Value"])
  out(target, sprintf("coefficients_stdE[%s]", term), ct[term, "Std. Error"])
}
out(target, "thresholds[0]", r$zeta[[1]])
out(target, "thresholds[1]", r$zeta[[2]])
cat(sprintf("# MASS %s, %s\n", packageVersion("MASS"), R.version.string), file = stderr())
