-- Cloud-service assessments answer the configured questionnaire: the
-- answers move from one column per default question into one JSON object
-- (question id -> answer). Keep in step with ../sqlite/0011_cloud_answers.sql.
ALTER TABLE cloud_assessments ADD COLUMN answers TEXT;
UPDATE cloud_assessments SET answers = NULLIF(jsonb_strip_nulls(jsonb_build_object(
    'access_control_mfa', access_control_mfa,
    'data_location', data_location,
    'encryption', encryption,
    'exit_deletion', exit_deletion,
    'incident_notice', incident_notice,
    'iso27001', CASE WHEN iso27001 THEN 'yes' ELSE 'no' END,
    'iso27017', CASE WHEN iso27017 THEN 'yes' ELSE 'no' END,
    'ismap', CASE WHEN ismap THEN 'yes' ELSE 'no' END,
    'logging', logging,
    'soc2', CASE WHEN soc2 THEN 'yes' ELSE 'no' END,
    'subprocessors', subprocessors
))::text, '{}');
ALTER TABLE cloud_assessments
    DROP COLUMN data_location,
    DROP COLUMN iso27001,
    DROP COLUMN iso27017,
    DROP COLUMN ismap,
    DROP COLUMN soc2,
    DROP COLUMN encryption,
    DROP COLUMN access_control_mfa,
    DROP COLUMN logging,
    DROP COLUMN incident_notice,
    DROP COLUMN subprocessors,
    DROP COLUMN exit_deletion;
