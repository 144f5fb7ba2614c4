"""Policy evaluation: township- and district-month panels of the office records and roll-out."""
