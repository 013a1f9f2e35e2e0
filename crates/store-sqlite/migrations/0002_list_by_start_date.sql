-- ListExecutions orders by start date, newest first, whatever became of an execution since:
-- list_date is the start date (it was the stop date of a finished execution, and the redrive
-- date of a redriven one).
UPDATE executions SET list_date = start_date WHERE list_date <> start_date;
