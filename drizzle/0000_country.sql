CREATE TABLE "country" (
	"two_letter" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"country_id" integer NOT NULL,
	CONSTRAINT "country_country_id_key" UNIQUE("country_id"),
	CONSTRAINT "country_two_letter_format" CHECK ("country"."two_letter" ~ '^[A-Z]{2}$'),
	CONSTRAINT "country_name_length" CHECK (char_length("country"."name") between 1 and 100 and "country"."name" = btrim("country"."name")),
	CONSTRAINT "country_name_no_control_chars" CHECK ("country"."name" !~ '[[:cntrl:]]'),
	CONSTRAINT "country_id_range" CHECK ("country"."country_id" between 1 and 999)
);
