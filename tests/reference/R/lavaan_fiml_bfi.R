## R_lavaan_fiml_bfi_fit.csv: a two-factor CFA on psych::bfi (agreeableness A1-A5,
## conscientiousness C1-C5; 2800 respondents, some items missing) fitted by full-information ML
## (missing = "ml", all 2800 rows) and by listwise deletion (lavaan's default, 2632 rows).
##
## Run from tests/reference:  Rscript R/lavaan_fiml_bfi.R
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
})
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")

data(bfi, package = "psych")
model <- "A =~ A1 + A2 + A3 + A4 + A5
          C =~ C1 + C2 + C3 + C4 + C5"
fits <- list(
  fiml = cfa(model, data = bfi, missing = "ml"),
  listwise = cfa(model, data = bfi)
)
file <- "R_lavaan_fiml_bfi_fit.csv"
for (name in names(fits)) {
  out(file, sprintf("fit=%s#n", name), lavInspect(fits[[name]], "nobs"))
  fm <- fitMeasures(fits[[name]], c("chisq", "df", "cfi", "rmsea", "logl"))
  for (m in names(fm)) out(file, sprintf("fit=%s#%s", name, m), fm[[m]])
}
cat(sprintf("# lavaan %s, psych %s, %s\n", packageVersion("lavaan"), packageVersion("psych"),
            R.version.string), file = stderr())
