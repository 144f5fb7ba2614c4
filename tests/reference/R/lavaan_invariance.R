## R_lavaan_invariance_reference.csv: measurement invariance of the lavaan tutorial's 3-factor
## Holzinger & Swineford model across `school` (Pasteur, Grant-White): configural (same
## pattern, all free) and metric (group.equal = "loadings") fit measures.
##
## Run from tests/reference:  Rscript R/lavaan_invariance.R
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
suppressPackageStartupMessages(library(lavaan))
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")

model <- "visual  =~ x1 + x2 + x3
          textual =~ x4 + x5 + x6
          speed   =~ x7 + x8 + x9"
fits <- list(
  configural = cfa(model, data = HolzingerSwineford1939, group = "school"),
  metric = cfa(model, data = HolzingerSwineford1939, group = "school",
               group.equal = "loadings")
)
file <- "R_lavaan_invariance_reference.csv"
for (level in names(fits)) {
  fm <- fitMeasures(fits[[level]], c("chisq", "df", "cfi", "tli", "rmsea", "srmr", "bic"))
  for (m in names(fm)) out(file, sprintf("level=%s#%s", level, m), fm[[m]])
}
cat(sprintf("# lavaan %s, %s\n", packageVersion("lavaan"), R.version.string), file = stderr())
