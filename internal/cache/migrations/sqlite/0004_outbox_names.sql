-- Who queued an outbox item is shown by name, as everywhere else: the
-- name at the time, next to the identity provider's subject. Items and
-- history entries recorded without a name take the name their person
-- last acted under, where the history knows one; the rest keep showing
-- the subject.
ALTER TABLE outbox ADD COLUMN created_by_name TEXT NOT NULL DEFAULT '';

CREATE TEMP TABLE known_names (actor TEXT PRIMARY KEY, actor_name TEXT NOT NULL);
INSERT INTO known_names(actor, actor_name)
	SELECT actor, actor_name FROM audit WHERE id IN (SELECT MAX(id) FROM audit WHERE actor_name <> '' GROUP BY actor);
UPDATE outbox SET created_by_name = (SELECT n.actor_name FROM known_names n WHERE n.actor = outbox.created_by)
	WHERE created_by IN (SELECT actor FROM known_names);
UPDATE audit SET actor_name = (SELECT n.actor_name FROM known_names n WHERE n.actor = audit.actor)
	WHERE actor_name = '' AND actor IN (SELECT actor FROM known_names);
DROP TABLE known_names;
