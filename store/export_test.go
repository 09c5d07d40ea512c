package store

import "context"

// MigrateTo brings the store dsn names to schema version v (an older one in
// the migration test).
func MigrateTo(ctx context.Context, dsn string, v int) error {
	s, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.migrate(ctx, v)
	return err
}

// Exec runs a statement on the store dsn names, without touching its
// schema.
func Exec(ctx context.Context, dsn, query string, args ...any) error {
	s, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.db.ExecContext(ctx, s.q(query), args...)
	return err
}
