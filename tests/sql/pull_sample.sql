-- A database in the shape of a well-known sample (a DVD rental store),
-- written by hand, as a team that did not use pgorm would have made it:
-- 15 tables, 23 foreign keys (one composite, to a unique key), a cycle (store <-> staff), composite keys,
-- enums (one whose values the schema language cannot write), checks, a view, a trigger, a domain and a few plain indexes.
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE TYPE media_format AS ENUM ('dvd', 'bluray', 'vhs');
CREATE DOMAIN year AS int4 CHECK (VALUE >= 1901 AND VALUE <= 2155);

CREATE TABLE country (
  country_id serial PRIMARY KEY,
  country text NOT NULL,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE TABLE city (
  city_id serial PRIMARY KEY,
  city text NOT NULL,
  country_id int4 NOT NULL REFERENCES country ON DELETE RESTRICT,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE INDEX idx_fk_country_id ON city (country_id);
CREATE TABLE address (
  address_id serial PRIMARY KEY,
  address text NOT NULL,
  address2 text,
  district text NOT NULL,
  city_id int4 NOT NULL REFERENCES city ON DELETE RESTRICT,
  postal_code varchar(10),
  phone text NOT NULL,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE INDEX idx_fk_city_id ON address (city_id);
CREATE TABLE language (
  language_id serial PRIMARY KEY,
  name varchar(20) NOT NULL,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE TABLE category (
  category_id serial PRIMARY KEY,
  name varchar(25) NOT NULL UNIQUE,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE TABLE actor (
  actor_id serial PRIMARY KEY,
  first_name varchar(45) NOT NULL,
  last_name varchar(45) NOT NULL,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE INDEX idx_actor_last_name ON actor (last_name);
CREATE TABLE film (
  film_id serial PRIMARY KEY,
  title varchar(255) NOT NULL,
  description text,
  release_year year,
  language_id int4 NOT NULL REFERENCES language ON DELETE RESTRICT,
  original_language_id int4 REFERENCES language ON DELETE RESTRICT,
  rental_duration int2 NOT NULL DEFAULT 3,
  rental_rate numeric(4,2) NOT NULL DEFAULT 4.99,
  length int2,
  replacement_cost numeric(5,2) NOT NULL DEFAULT 19.99,
  rating mpaa_rating DEFAULT 'G',
  special_features text[],
  scores int2[][],
  aliases varchar(45)[] NOT NULL DEFAULT '{}',
  fulltext tsvector,
  is_classic bool NOT NULL DEFAULT false,
  last_update timestamp NOT NULL DEFAULT now(),
  CONSTRAINT film_rental_duration_check CHECK (rental_duration > 0)
);
CREATE INDEX idx_title ON film (title);
CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);
CREATE INDEX film_title_search_idx ON film USING gist (to_tsvector('simple', title));
CREATE TABLE film_actor (
  actor_id int4 NOT NULL REFERENCES actor ON DELETE RESTRICT,
  film_id int4 NOT NULL REFERENCES film ON DELETE RESTRICT,
  last_update timestamp NOT NULL DEFAULT now(),
  PRIMARY KEY (actor_id, film_id)
);
CREATE INDEX idx_fk_film_id ON film_actor (film_id);
CREATE TABLE film_category (
  film_id int4 NOT NULL REFERENCES film ON DELETE RESTRICT,
  category_id int4 NOT NULL REFERENCES category ON DELETE RESTRICT,
  last_update timestamp NOT NULL DEFAULT now(),
  PRIMARY KEY (film_id, category_id)
);
CREATE TABLE staff (
  staff_id serial PRIMARY KEY,
  first_name varchar(45) NOT NULL,
  last_name varchar(45) NOT NULL,
  address_id int4 NOT NULL REFERENCES address ON DELETE RESTRICT,
  email text,
  store_id int4 NOT NULL,
  active bool NOT NULL DEFAULT true,
  username varchar(16) NOT NULL UNIQUE,
  password varchar(40),
  picture bytea,
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE TABLE store (
  store_id serial PRIMARY KEY,
  manager_staff_id int4 NOT NULL UNIQUE REFERENCES staff ON DELETE RESTRICT,
  address_id int4 NOT NULL REFERENCES address ON DELETE RESTRICT,
  last_update timestamp NOT NULL DEFAULT now()
);
ALTER TABLE staff ADD FOREIGN KEY (store_id) REFERENCES store ON DELETE RESTRICT;
CREATE TABLE customer (
  customer_id serial PRIMARY KEY,
  store_id int4 NOT NULL REFERENCES store ON DELETE RESTRICT,
  first_name varchar(45) NOT NULL,
  last_name varchar(45) NOT NULL,
  email varchar(50),
  address_id int4 NOT NULL REFERENCES address ON DELETE RESTRICT,
  activebool bool NOT NULL DEFAULT true,
  create_date date NOT NULL DEFAULT '2006-02-14',
  last_update timestamptz DEFAULT now(),
  active int4
);
CREATE INDEX idx_last_name ON customer (last_name);
CREATE INDEX idx_store_name ON customer (store_id, last_name);
CREATE TABLE inventory (
  inventory_id bigserial PRIMARY KEY,
  film_id int4 NOT NULL REFERENCES film ON DELETE RESTRICT,
  store_id int4 NOT NULL REFERENCES store ON DELETE RESTRICT,
  format media_format NOT NULL DEFAULT 'dvd',
  last_update timestamp NOT NULL DEFAULT now()
);
CREATE TABLE rental (
  rental_id serial PRIMARY KEY,
  rental_date timestamptz NOT NULL,
  inventory_id int8 NOT NULL REFERENCES inventory ON DELETE RESTRICT,
  customer_id int4 NOT NULL REFERENCES customer ON DELETE RESTRICT,
  return_date timestamptz,
  staff_id int4 NOT NULL REFERENCES staff ON DELETE RESTRICT,
  last_update timestamp NOT NULL DEFAULT now(),
  CONSTRAINT rental_once UNIQUE (rental_date, inventory_id, customer_id)
);
CREATE TABLE payment (
  payment_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id int4 NOT NULL REFERENCES customer ON DELETE RESTRICT,
  staff_id int4 NOT NULL REFERENCES staff ON DELETE RESTRICT,
  rental_id int4 REFERENCES rental ON DELETE SET NULL ON UPDATE CASCADE,
  amount numeric(5,2) NOT NULL CHECK (amount >= 0),
  payment_date timestamptz NOT NULL,
  note jsonb DEFAULT '{}',
  rental_date timestamptz,
  rental_inventory_id int8,
  CONSTRAINT payment_rental_once_fkey FOREIGN KEY (rental_date, rental_inventory_id, customer_id)
    REFERENCES rental (rental_date, inventory_id, customer_id) ON DELETE CASCADE
);
CREATE INDEX payment_recent_idx ON payment (payment_date) WHERE amount > 0;
CREATE INDEX payment_note_idx ON payment USING gin (note);
CREATE INDEX payment_cents_idx ON payment ((amount * 100) DESC, lower(note ->> 'by'));
CREATE INDEX customer_email_pattern_idx ON customer (lower(email) text_pattern_ops);
CREATE VIEW film_list AS
  SELECT f.film_id, f.title, c.name AS category
  FROM film f JOIN film_category fc ON fc.film_id = f.film_id
  JOIN category c ON c.category_id = fc.category_id;
CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.last_update := now(); RETURN NEW; END$$;
CREATE TRIGGER last_updated BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER last_updated BEFORE UPDATE ON actor FOR EACH ROW EXECUTE FUNCTION last_updated();
