// Package audit appends to the audit log: who did what to what, when and why. The
// table is append-only (a trigger refuses updates and deletes).
package audit

import (
	"context"
	"encoding/json"

	"lawka/internal/platform/db"
)

// Entry is one audit record. Details hold ids and codes, never personal data.
type Entry struct {
	ActorID    int64 // 0: the system
	Action     string
	TargetType string
	TargetID   int64
	Reason     string
	Details    map[string]any
}

// Write appends e, inside the caller's transaction so the record and the change it
// describes are saved together.
func Write(ctx context.Context, q db.Querier, e Entry) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return err
		}
	}
	var actor *int64
	if e.ActorID != 0 {
		actor = &e.ActorID
	}
	var target *int64
	if e.TargetID != 0 {
		target = &e.TargetID
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_log (actor_id, action, target_type, target_id, reason, details)
		VALUES ($1, $2, $3, $4, $5, $6)`, actor, e.Action, e.TargetType, target, e.Reason, details)
	return err
}
