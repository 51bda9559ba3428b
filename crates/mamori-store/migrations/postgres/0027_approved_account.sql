-- The account that approved a notice (four eyes), recorded by mamori; the
-- approver may be a person of any company. Keep in step with
-- ../sqlite/0027_approved_account.sql.
ALTER TABLE disclosures ADD COLUMN approved_account TEXT;
