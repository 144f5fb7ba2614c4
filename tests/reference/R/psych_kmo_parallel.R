## psych numbers typed into tests/test_measure_reliability.py and tests/test_measure_efa.py:
## psych::KMO(bfi[1:25]) "Overall MSA = 0.85" and psych::fa.parallel's suggested numbers of
## factors and components (bfi: 6 and 6, as printed in psych's documentation; Holzinger &
## Swineford x1-x9: 3 factors). fa.parallel simulates random data, so the counts are shown for
## several seeds; they are the reference only where they do not depend on the seed.
##
## Run from tests/reference:  Rscript R/psych_kmo_parallel.R
## Output (stdout): CSV target,key,value (R/compare.py checks it).
suppressPackageStartupMessages({
  library(psych)
  library(lavaan)  # HolzingerSwineford1939
})
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")
data(bfi, package = "psych")
items <- bfi[, 1:25]
out("test_measure_reliability.py", "kmo_bfi_overall", KMO(items)$MSA)

hs <- HolzingerSwineford1939[, paste0("x", 1:9)]
for (seed in 1:5) {
  set.seed(seed)
  invisible(capture.output(pa <- fa.parallel(items, plot = FALSE)))  # it prints its verdict
  out("test_measure_efa.py", sprintf("bfi_nfact[seed %d]", seed), pa$nfact)
  out("test_measure_efa.py", sprintf("bfi_ncomp[seed %d]", seed), pa$ncomp)
  set.seed(seed)
  invisible(capture.output(pa <- fa.parallel(hs, plot = FALSE)))  # it prints its verdict
  out("test_measure_efa.py", sprintf("hs_nfact[seed %d]", seed), pa$nfact)
  out("test_measure_efa.py", sprintf("hs_ncomp[seed %d]", seed), pa$ncomp)
}
cat(sprintf("# psych %s, %s\n", packageVersion("psych"), R.version.string), file = stderr())
