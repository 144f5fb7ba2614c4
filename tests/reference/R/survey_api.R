## R_survey_reference.csv: design-based estimates on R survey's California API samples (the
## `call` column of each row is the call below): stratified sample (apistrat: strata stype,
## weights pw, fpc), two-stage cluster sample (apiclus2: districts then schools, fpc1, fpc2).
##
## Run from tests/reference:  Rscript R/survey_api.R
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
suppressPackageStartupMessages(library(survey))
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")
data(api)
file <- "R_survey_reference.csv"
row <- function(method, dataset, quantity, est, se) {
  sel <- sprintf("method=%s&dataset=%s&quantity=%s", method, dataset, quantity)
  out(file, paste0(sel, "#estimate"), est)
  out(file, paste0(sel, "#se"), se)
}

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, fpc = ~fpc, data = apistrat)
m <- svymean(~api00, dstrat)
row("svymean", "apistrat", "api00", coef(m), SE(m))
t <- svytotal(~enroll, dstrat)
row("svytotal", "apistrat", "enroll", coef(t), SE(t))

dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
m2 <- svymean(~api00, dclus2)
row("svymean", "apiclus2", "api00", coef(m2), SE(m2))

g <- svyglm(api00 ~ ell + meals + mobility, design = dstrat)
for (term in names(coef(g))) row("svyglm", "apistrat", term, coef(g)[[term]], SE(g)[[term]])
cat(sprintf("# survey %s, %s\n", packageVersion("survey"), R.version.string), file = stderr())
