## misc_reference_values.csv, lme4 rows (sleepstudy: REML fit, ML logLik/AIC/BIC; stored as the
## lme4 output printed in D. Barr's slides) and the Pastes ML deviance typed into
## tests/test_models_multilevel.py (cited from OpenMx's test inst/models/passing/xxm-3.R).
##
## Run from tests/reference:  Rscript R/lme4_sleepstudy_pastes.R
## Output (stdout): CSV target,key,value at full precision (R/compare.py checks it).
suppressPackageStartupMessages(library(lme4))
out <- function(target, key, value) {
  cat(sprintf("%s,%s,%s\n", target, key, format(value, digits = 15)))
}
cat("target,key,value\n")
file <- "misc_reference_values.csv"
key <- function(method, quantity, column, i) {
  sprintf("method=%s&quantity=%s#%s[%d]", method, quantity, column, i)
}

reml <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy)
fe <- summary(reml)$coefficients
out(file, key("lmer REML", "(Intercept)", "reference_value", 0), fe["(Intercept)", "Estimate"])
out(file, key("lmer REML", "(Intercept)", "reference_value", 1), fe["(Intercept)", "Std. Error"])
out(file, key("lmer REML", "Days", "reference_value", 0), fe["Days", "Estimate"])
out(file, key("lmer REML", "Days", "reference_value", 1), fe["Days", "Std. Error"])
vc <- as.data.frame(VarCorr(reml))
sd_int <- vc$sdcor[vc$grp == "Subject" & vc$var1 == "(Intercept)" & is.na(vc$var2)]
sd_days <- vc$sdcor[vc$grp == "Subject" & vc$var1 == "Days" & is.na(vc$var2)]
corr <- vc$sdcor[vc$grp == "Subject" & !is.na(vc$var2)]
sd_res <- vc$sdcor[vc$grp == "Residual"]
q <- "SD(Intercept)/SD(Days)/corr/SD(resid)"
out(file, key("lmer REML", q, "reference_value", 0), sd_int)
out(file, key("lmer REML", q, "reference_value", 1), sd_days)
out(file, key("lmer REML", q, "reference_value", 2), corr)
out(file, key("lmer REML", q, "reference_value", 3), sd_res)
# the source column: "variances 612.10 / 35.07 / resid 654.94; REML criterion 1743.6"
out(file, key("lmer REML", q, "source", 0), sd_int^2)
out(file, key("lmer REML", q, "source", 1), sd_days^2)
out(file, key("lmer REML", q, "source", 2), sd_res^2)
out(file, key("lmer REML", q, "source", 3), REMLcrit(reml))

ml <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = FALSE)
out(file, key("lmer ML", "logLik/AIC/BIC", "reference_value", 0), as.numeric(logLik(ml)))
out(file, key("lmer ML", "logLik/AIC/BIC", "reference_value", 1), AIC(ml))
out(file, key("lmer ML", "logLik/AIC/BIC", "reference_value", 2), BIC(ml))

## Pastes: OpenMx xxm-3.R's model (sample = batch:cask), ML; -2 logL
pastes <- lmer(strength ~ 1 + (1 | sample) + (1 | batch), data = Pastes, REML = FALSE)
out("test_models_multilevel.py", "pastes_ml_deviance", -2 * as.numeric(logLik(pastes)))
cat(sprintf("# lme4 %s, %s\n", packageVersion("lme4"), R.version.string), file = stderr())
