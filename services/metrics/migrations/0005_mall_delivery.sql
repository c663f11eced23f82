-- The mall's prizes reach people: how an item is handed over (posted, or collected at a pickup site), its
-- pictures, and per redemption the delivery details (sealed: services/metrics/mall_vault.py), the pickup site,
-- the fulfilment (carrier and tracking number, or pickup code) and who cancelled it.

-- delivery: the item is posted to the person (they give recipient, phone and address); pickup sites below.
-- Existing items are physical prizes: posted.
ALTER TABLE mall_items ADD COLUMN delivery boolean NOT NULL DEFAULT true;
-- [{key, content_type, size}] in the resources bucket under mall/items/ (uploaded through POST /mall/images)
ALTER TABLE mall_items ADD COLUMN images jsonb NOT NULL DEFAULT '[]';

-- where an item can be collected; a site taken off an item stays (active = false) for the redemptions naming it
CREATE TABLE mall_pickup_sites (
    id           uuid PRIMARY KEY,
    item_id      uuid NOT NULL REFERENCES mall_items (id),
    name         text NOT NULL,
    region_code  text NOT NULL,
    address      text NOT NULL,
    hours        text NOT NULL DEFAULT '',
    active       boolean NOT NULL DEFAULT true,
    position     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mall_pickup_sites_item ON mall_pickup_sites (item_id, position);

-- method: NULL for redemptions made before delivery details existed
ALTER TABLE redemptions ADD COLUMN method text CHECK (method IN ('delivery', 'pickup'));
ALTER TABLE redemptions ADD COLUMN pickup_site_id uuid REFERENCES mall_pickup_sites (id);
-- AES-GCM of the delivery details (JSON), bound to the redemption id; delivery_masked is what people see
ALTER TABLE redemptions ADD COLUMN delivery_sealed bytea;
ALTER TABLE redemptions ADD COLUMN delivery_masked jsonb;
ALTER TABLE redemptions ADD COLUMN carrier text;
ALTER TABLE redemptions ADD COLUMN tracking_number text;
ALTER TABLE redemptions ADD COLUMN pickup_code text;
ALTER TABLE redemptions ADD COLUMN cancelled_by text CHECK (cancelled_by IN ('owner', 'admin'));
ALTER TABLE redemptions ADD COLUMN cancel_reason text;
ALTER TABLE redemptions ADD CONSTRAINT redemptions_delivery_sealed
    CHECK (method IS DISTINCT FROM 'delivery' OR delivery_sealed IS NOT NULL);
ALTER TABLE redemptions ADD CONSTRAINT redemptions_pickup_site
    CHECK (method IS DISTINCT FROM 'pickup' OR pickup_site_id IS NOT NULL);
-- a fulfilled delivery has its tracking number, a fulfilled pickup its code (older rows: neither)
ALTER TABLE redemptions ADD CONSTRAINT redemptions_fulfilment CHECK (
    status <> 'fulfilled' OR method IS NULL
    OR (method = 'delivery' AND tracking_number IS NOT NULL AND carrier IS NOT NULL)
    OR (method = 'pickup' AND pickup_code IS NOT NULL));

-- every time a mall admin read a redemption's full delivery details (PIPL: who saw whose address, when)
CREATE TABLE mall_delivery_reads (
    id             bigserial PRIMARY KEY,
    redemption_id  uuid NOT NULL REFERENCES redemptions (id),
    admin_id       uuid NOT NULL,
    read_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mall_delivery_reads_redemption ON mall_delivery_reads (redemption_id);
