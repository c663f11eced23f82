-- A day's leaderboards, ranked by the daily rollup: each communicator's rank that day in their city, their
-- province and the whole country (rank(): ties share a rank), so a page is a range scan of one index and
-- one's own rank is one row (at a million communicators a day, ranking on each request took 350 ms).
ALTER TABLE day_user ADD COLUMN city_rank integer, ADD COLUMN province_rank integer, ADD COLUMN national_rank integer;
UPDATE day_user d SET city_rank = r.city_rank, province_rank = r.province_rank, national_rank = r.national_rank
FROM (SELECT day, user_id,
             rank() OVER (PARTITION BY day, city_code ORDER BY shares DESC) AS city_rank,
             rank() OVER (PARTITION BY day, province_code ORDER BY shares DESC) AS province_rank,
             rank() OVER (PARTITION BY day ORDER BY shares DESC) AS national_rank
      FROM day_user) r
WHERE d.day = r.day AND d.user_id = r.user_id;
-- the same indexes serve the longer periods (a scope's rows over a few days), still index-only
DROP INDEX day_user_city;
DROP INDEX day_user_province;
CREATE INDEX day_user_city ON day_user (city_code, day, city_rank, user_id) INCLUDE (shares);
CREATE INDEX day_user_province ON day_user (province_code, day, province_rank, user_id) INCLUDE (shares);
CREATE INDEX day_user_national ON day_user (day, national_rank, user_id) INCLUDE (shares);
