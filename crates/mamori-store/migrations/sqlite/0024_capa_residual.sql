-- Where a corrective action's linked risks stand once it is verified. Keep
-- in step with ../postgres/0024_capa_residual.sql.
ALTER TABLE corrective_actions ADD COLUMN residual_likelihood TEXT;
ALTER TABLE corrective_actions ADD COLUMN residual_impact TEXT;
