## R_lavaan_HS_cfa_reference.csv and the lavaan / psych numbers typed into
## tests/test_measure_cfa.py: the lavaan tutorial's 3-factor CFA on Holzinger & Swineford (1939)
## (https://lavaan.ugent.be/tutorial/cfa.html) and psych::alpha per factor.
##
## Run from tests/reference:  Rscript R/lavaan_HS_cfa.R
## Output (stdout): CSV target,key,value at full precision; R/compare.py checks it against the
## stored, rounded values (the tutorial prints 3 decimals; the alpha rows carry 10).
suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
})
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")

model <- "visual  =~ x1 + x2 + x3
          textual =~ x4 + x5 + x6
          speed   =~ x7 + x8 + x9"
fit <- cfa(model, data = HolzingerSwineford1939)
file <- "R_lavaan_HS_cfa_reference.csv"

pe <- parameterEstimates(fit)
pe <- pe[pe$op %in% c("=~", "~~") & !(pe$op == "=~" & pe$se == 0), ]  # free parameters
for (i in seq_len(nrow(pe))) {
  sel <- sprintf("lhs=%s&op=%s&rhs=%s", pe$lhs[i], pe$op[i], pe$rhs[i])
  out(file, paste0(sel, "#est"), pe$est[i])
  out(file, paste0(sel, "#se"), pe$se[i])
}
fm <- fitMeasures(fit)
for (m in c("chisq", "cfi", "tli", "rmsea", "srmr")) {
  out(file, sprintf("lhs=fit&op=%s#est", m), fm[[m]])
}
out(file, "lhs=fit&op=logl#est", fm[["logl"]])

## psych::alpha raw_alpha per factor (psych's defaults: pairwise covariances)
hs <- HolzingerSwineford1939
items <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
              speed = c("x7", "x8", "x9"))
for (f in names(items)) {
  # capture.output: psych prints a note on the item frequencies to stdout
  invisible(capture.output(a <- psych::alpha(hs[, items[[f]]], warnings = FALSE)$total$raw_alpha))
  out(file, sprintf("lhs=rel&op=alpha&rhs=%s#est", f), a)
}

## numbers typed into tests/test_measure_cfa.py (the tutorial's printed digits)
typed <- "test_measure_cfa.py"
out(typed, "df", fm[["df"]])
out(typed, "baseline_chisq", fm[["baseline.chisq"]])
out(typed, "baseline_df", fm[["baseline.df"]])
out(typed, "rmsea_ci_lower", fm[["rmsea.ci.lower"]])
out(typed, "rmsea_ci_upper", fm[["rmsea.ci.upper"]])
out(typed, "aic", fm[["aic"]])
out(typed, "bic", fm[["bic"]])
out(typed, "npar", fm[["npar"]])
out(typed, "n", lavInspect(fit, "nobs"))
std <- standardizedSolution(fit)
out(typed, "std.all visual=~x1", std$est.std[std$lhs == "visual" & std$op == "=~" & std$rhs == "x1"])
out(typed, "std.all visual~~textual",
    std$est.std[std$lhs == "visual" & std$op == "~~" & std$rhs == "textual"])
fit_lv <- cfa(model, data = HolzingerSwineford1939, std.lv = TRUE)
pe_lv <- parameterEstimates(fit_lv)
out(typed, "std.lv visual=~x1", pe_lv$est[pe_lv$lhs == "visual" & pe_lv$op == "=~" & pe_lv$rhs == "x1"])
cat(sprintf("# lavaan %s, psych %s, %s\n", packageVersion("lavaan"), packageVersion("psych"),
            R.version.string), file = stderr())
