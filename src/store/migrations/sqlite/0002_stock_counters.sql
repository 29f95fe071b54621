-- Issued coupons per stock, kept by triggers, so a claim's quota check reads one row instead of
-- counting every coupon of the stock (which grew linearly with the ledger). Pending reservations
-- count: they are rows of `coupons` until released.
CREATE TABLE stock_counters (
  stock_id TEXT PRIMARY KEY,
  issued INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO stock_counters (stock_id, issued)
SELECT stock_id, count(*) FROM coupons GROUP BY stock_id;

CREATE TRIGGER coupons_count_insert AFTER INSERT ON coupons BEGIN
  INSERT INTO stock_counters (stock_id, issued) VALUES (NEW.stock_id, 1)
  ON CONFLICT (stock_id) DO UPDATE SET issued = issued + 1;
END;

CREATE TRIGGER coupons_count_delete AFTER DELETE ON coupons BEGIN
  UPDATE stock_counters SET issued = issued - 1 WHERE stock_id = OLD.stock_id;
END;

CREATE TRIGGER coupons_count_move AFTER UPDATE OF stock_id ON coupons
WHEN NEW.stock_id <> OLD.stock_id BEGIN
  UPDATE stock_counters SET issued = issued - 1 WHERE stock_id = OLD.stock_id;
  INSERT INTO stock_counters (stock_id, issued) VALUES (NEW.stock_id, 1)
  ON CONFLICT (stock_id) DO UPDATE SET issued = issued + 1;
END;
