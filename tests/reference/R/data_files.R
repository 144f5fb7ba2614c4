## The data files against the R packages they come from: each stored CSV holds the same values as
## the package's data set (numbers equal to 1e-12 relative, text and factor labels equal), and
## R survey's api samples are written byte for byte by write.csv(..., row.names = FALSE).
## mpdta.csv (R did) and framing.csv (R mediation) are not checked: neither package is packaged
## for Debian.
##
## Run from tests/reference:  Rscript R/data_files.R
## Output (stdout): CSV target,key,value with value 1 when the file matches (R/compare.py).
suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
  library(lme4)
  library(MASS)
  library(sandwich)
  library(survey)
})
cat("target,key,value\n")
same <- function(file, origin, pkg_data, csv_data) {
  pkg_data <- as.data.frame(pkg_data)
  ok <- identical(dim(pkg_data), dim(csv_data)) && identical(names(pkg_data), names(csv_data))
  if (ok) {
    for (col in names(pkg_data)) {
      a <- pkg_data[[col]]
      b <- csv_data[[col]]
      if (is.numeric(a) && is.numeric(b)) {
        good <- isTRUE(all.equal(as.numeric(a), as.numeric(b), tolerance = 1e-12))
      } else {
        good <- identical(as.character(a), as.character(b))
      }
      if (!good) {
        message(sprintf("%s: column %s differs from %s", file, col, origin))
        ok <- FALSE
      }
    }
  } else {
    message(sprintf("%s: shape or names differ from %s", file, origin))
  }
  cat(sprintf("%s,identical values to %s,%d\n", file, origin, as.integer(ok)))
}
## a stored CSV with R's row names in its first column (Rdatasets: "rownames")
read_rn <- function(file) {
  d <- read.csv(file, check.names = FALSE, stringsAsFactors = FALSE)
  rownames(d) <- d[[1]]
  d[-1]
}
same_rn <- function(file, origin, pkg_data) {
  csv_data <- read_rn(file)
  pkg_data <- as.data.frame(pkg_data)
  if (!identical(rownames(csv_data), rownames(pkg_data))) {
    message(sprintf("%s: row names differ from %s", file, origin))
    cat(sprintf("%s,identical values to %s,0\n", file, origin))
  } else {
    same(file, origin, pkg_data, csv_data)
  }
}

same_rn("holzinger_swineford1939.csv", "lavaan::HolzingerSwineford1939", HolzingerSwineford1939)
same_rn("bfi.csv", "psych::bfi", psych::bfi)
same_rn("Thurstone_cor.csv", "psych::Thurstone", psych::Thurstone)
same_rn("Tal_Or_pmi.csv", "psych::Tal_Or", psych::Tal_Or)
same_rn("Garcia_protest.csv", "psych::Garcia", psych::Garcia)
same_rn("sleepstudy.csv", "lme4::sleepstudy", lme4::sleepstudy)
same_rn("Pastes.csv", "lme4::Pastes", lme4::Pastes)
same_rn("MASS_housing.csv", "MASS::housing", MASS::housing)
data("PetersenCL", package = "sandwich")
same_rn("PetersenCL.csv", "sandwich::PetersenCL", PetersenCL)

data(api, package = "survey")
for (name in c("apistrat", "apiclus1", "apiclus2")) {
  file <- paste0(name, ".csv")
  tmp <- tempfile(fileext = ".csv")
  write.csv(get(name), tmp, row.names = FALSE)
  bytes <- function(f) readBin(f, "raw", file.info(f)$size)
  cat(sprintf("%s,identical bytes to write.csv(survey::%s),%d\n", file, name,
              as.integer(identical(bytes(tmp), bytes(file)))))
}
cat(sprintf("# lavaan %s, psych %s, lme4 %s, MASS %s, sandwich %s, survey %s, %s\n",
            packageVersion("lavaan"), packageVersion("psych"), packageVersion("lme4"),
            packageVersion("MASS"), packageVersion("sandwich"), packageVersion("survey"),
            R.version.string), file = stderr())
