package main

import (
	"context"
	"fmt"

	"lawka/internal/account"
	"lawka/internal/platform/problem"
)

func runUser(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.stderr, "Usage: lawka user create --email E --password P [--name N] [--role R]… [--verified]")
			return nil
		}
		return usageError{"usage: lawka user create --email E --password P [--name N] [--role R]… [--verified]"}
	}
	fs := flags(env, "user create", "--email E --password P [--name N] [--role R]… [--verified]",
		"Creates a ready account (its email counts as confirmed). Roles: advocate, moderator, admin\n(everyone is a resident).")
	email := fs.String("email", "", "email address (required)")
	password := fs.String("password", "", "password, 8 to 128 characters (required)")
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	verified := fs.Bool("verified", false, "mark the resident as verified")
	var roles stringList
	fs.Var(&roles, "role", "a role to grant; repeat for several")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *email == "" || *password == "" {
		return usageError{"--email and --password are required"}
	}
	if *name == "" {
		for i, r := range *email {
			if r == '@' {
				*name = (*email)[:i]
				break
			}
		}
	}
	pool, err := openReady(ctx, env)
	if err != nil {
		return err
	}
	defer pool.Close()
	u, err := account.NewService(pool, account.Deps{}).Create(ctx, account.NewUser{
		Email: *email, Password: *password, DisplayName: *name, Roles: roles,
		Verified: *verified, EmailConfirmed: true,
	})
	if p, ok := problem.As(err); ok {
		msg := p.Code
		for f, key := range p.Fields {
			msg += fmt.Sprintf("; %s: %s", f, key)
		}
		return usageError{msg}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created user %d <%s> with roles %v\n", u.ID, u.Email, u.Roles)
	return nil
}
