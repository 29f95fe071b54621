-- Issued coupons per stock, kept by triggers, so a claim's quota check reads one row instead of
-- counting every coupon of the stock (which grew linearly with the ledger). Pending reservations
-- count: they are rows of `coupons` until released. Claims of one stock are serialised by the
-- per-stock advisory lock, so the counter row is not a new point of contention.
CREATE TABLE stock_counters (
  stock_id text PRIMARY KEY,
  issued integer NOT NULL
);

INSERT INTO stock_counters (stock_id, issued)
SELECT stock_id, count(*) FROM coupons GROUP BY stock_id;

CREATE FUNCTION coupons_count_up() RETURNS trigger LANGUAGE plpgsql
-- Bound to the schema the migration runs in, whoever deletes a coupon and with whatever search_path.
SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO stock_counters (stock_id, issued) VALUES (NEW.stock_id, 1)
  ON CONFLICT (stock_id) DO UPDATE SET issued = stock_counters.issued + 1;
  RETURN NULL;
END
$$;

CREATE FUNCTION coupons_count_down() RETURNS trigger LANGUAGE plpgsql
-- Bound to the schema the migration runs in, whoever deletes a coupon and with whatever search_path.
SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE stock_counters SET issued = issued - 1 WHERE stock_id = OLD.stock_id;
  RETURN NULL;
END
$$;

CREATE TRIGGER coupons_count_insert AFTER INSERT ON coupons
  FOR EACH ROW EXECUTE FUNCTION coupons_count_up();
CREATE TRIGGER coupons_count_delete AFTER DELETE ON coupons
  FOR EACH ROW EXECUTE FUNCTION coupons_count_down();
CREATE TRIGGER coupons_count_move_out AFTER UPDATE OF stock_id ON coupons
  FOR EACH ROW WHEN (NEW.stock_id IS DISTINCT FROM OLD.stock_id) EXECUTE FUNCTION coupons_count_down();
CREATE TRIGGER coupons_count_move_in AFTER UPDATE OF stock_id ON coupons
  FOR EACH ROW WHEN (NEW.stock_id IS DISTINCT FROM OLD.stock_id) EXECUTE FUNCTION coupons_count_up();
