-- An admin may approve less than was asked, and say why: the request keeps
-- both amounts (amount is what was asked), and the OBI call moves the
-- approved one. '' means the whole amount was approved.
ALTER TABLE budget_requests ADD COLUMN approved_amount TEXT NOT NULL DEFAULT '';
ALTER TABLE budget_requests ADD COLUMN approve_note TEXT NOT NULL DEFAULT '';
