## misc_reference_values.csv, Petersen rows: OLS of y on x in Petersen's (2009) simulated
## firm-year panel with the standard errors his test-data page prints from Stata (regress;
## , robust; , cluster(firm); , cluster(year); two-way by firm and year). Stata is not run
## here: sandwich's vcovCL with its default small-sample adjustment (HC1 and G/(G-1)) is the
## same estimator (Zeileis, Koell and Graham 2020, J. Stat. Software 95(1), section 6).
##
## Run from tests/reference:  Rscript R/petersen_cluster_se.R   (reads PetersenCL.csv)
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
suppressPackageStartupMessages(library(sandwich))
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")
d <- read.csv("PetersenCL.csv")
m <- lm(y ~ x, data = d)
se <- function(v) sqrt(diag(v))
file <- "misc_reference_values.csv"
k <- function(method, quantity, i) sprintf("method=%s&quantity=%s#reference_value[%d]", method, quantity, i)
out(file, k("OLS cluster SE", "coef const/x", 0), coef(m)[[1]])
out(file, k("OLS cluster SE", "coef const/x", 1), coef(m)[[2]])
ses <- list(
  se(vcovCL(m, cluster = ~firm)),                          # Stata: , cluster(firm)
  se(vcovCL(m, cluster = ~year)),                          # Stata: , cluster(year)
  se(vcovCL(m, cluster = ~ firm + year, multi0 = FALSE))   # two-way (Thompson 2011)
)
q <- "SE firm / year / firm+year"
for (j in seq_along(ses)) {
  out(file, k("OLS cluster SE", q, 2 * j - 2), ses[[j]][[1]])
  out(file, k("OLS cluster SE", q, 2 * j - 1), ses[[j]][[2]])
}
ols <- se(vcov(m))
white <- se(vcovHC(m, type = "HC1"))                       # Stata: , robust
out(file, k("OLS SE", "OLS / White SE", 0), ols[[1]])
out(file, k("OLS SE", "OLS / White SE", 1), ols[[2]])
out(file, k("OLS SE", "OLS / White SE", 2), white[[1]])
out(file, k("OLS SE", "OLS / White SE", 3), white[[2]])
cat(sprintf("# sandwich %s, %s\n", packageVersion("sandwich"), R.version.string), file = stderr())
