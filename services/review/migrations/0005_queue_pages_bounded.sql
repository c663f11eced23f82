-- depends: 0004_due_dates
-- Reviewer pages bounded at 100,000 open tasks and beyond (issue 30): each page's work follows the page,
-- not the number of open tasks.

-- Name and organization search (`search_text LIKE '%…%'`): a trigram index, CJK included (pg_trgm reads
-- Chinese characters as word characters under the clusters' UTF-8 locales). pg_trgm ships with PostgreSQL
-- (Debian's postgresql-15 contrib) and is a trusted extension: the database owner may create it; where it
-- already exists (made by a superuser beforehand, docs/operations.md) this is a no-op.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tasks_search ON tasks USING gin (search_text gin_trgm_ops);

-- The queue cards (open, overdue per stage): counts kept per stage, province and the hour the service level
-- runs out, by a trigger, so the cards sum a few hundred rows instead of counting every open task. "Overdue"
-- is every hour before the current one plus the tasks due in the current hour up to now (tasks_open_due).
CREATE TABLE queue_counts (
    stage     text    NOT NULL,
    scope     text    NOT NULL,    -- the province of a provincial task, '' otherwise
    due_hour  bigint  NOT NULL,    -- floor(epoch(due_at) / 3600); tasks without a due time: the largest bigint
    open      integer NOT NULL,
    PRIMARY KEY (stage, scope, due_hour)
);

CREATE FUNCTION tasks_due_hour(due timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce(floor(extract(epoch FROM due) / 3600)::bigint, 9223372036854775807) $$;

CREATE FUNCTION tasks_count_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    left_open integer;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        UPDATE queue_counts SET open = open - 1
        WHERE stage = OLD.stage AND scope = coalesce(OLD.scope, '') AND due_hour = tasks_due_hour(OLD.due_at)
        RETURNING open INTO left_open;
        IF left_open <= 0 THEN
            DELETE FROM queue_counts
            WHERE stage = OLD.stage AND scope = coalesce(OLD.scope, '') AND due_hour = tasks_due_hour(OLD.due_at)
            AND open <= 0;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open' THEN
        INSERT INTO queue_counts (stage, scope, due_hour, open)
        VALUES (NEW.stage, coalesce(NEW.scope, ''), tasks_due_hour(NEW.due_at), 1)
        ON CONFLICT (stage, scope, due_hour) DO UPDATE SET open = queue_counts.open + 1;
    END IF;
    RETURN NULL;
END $$;

-- deferred to commit, so a counter row is locked only while the transaction commits (decisions from many
-- reviewers at once do not queue behind each other); claims and releases do not touch the counts
LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE;
CREATE CONSTRAINT TRIGGER tasks_count_open AFTER INSERT OR DELETE OR UPDATE OF status, stage, scope, due_at
    ON tasks DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION tasks_count_open();
INSERT INTO queue_counts (stage, scope, due_hour, open)
    SELECT stage, coalesce(scope, ''), tasks_due_hour(due_at), count(*) FROM tasks WHERE status = 'open'
    GROUP BY 1, 2, 3;

-- the oldest waiting task of a stage (and province): one index step each
CREATE INDEX tasks_open_oldest ON tasks (stage, (coalesce(scope, '')), requested_at) WHERE status = 'open';
-- the claims that hold now (expired claims keep their claimed_until until the next claim): a short range
CREATE INDEX tasks_open_claimed ON tasks (claimed_until) WHERE status = 'open' AND claimed_until IS NOT NULL;
