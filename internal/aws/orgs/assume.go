package orgs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Role says which role layerkit assumes in each account, and how.
type Role struct {
	// Name is the role's name (or path/name) in every account.
	Name string
	// ExternalID is passed to AssumeRole when set.
	ExternalID string
	// Session is the role session name; "" means "layerkit-" and the
	// time in Unix seconds, so that CloudTrail ties one run's sessions
	// together.
	Session string
}

// ARN is the role's ARN in account.
func (r Role) ARN(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, r.Name)
}

// accountID is what an AWS account ID looks like.
var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// ValidAccount reports whether id is a 12-digit AWS account ID.
func ValidAccount(id string) bool { return accountID.MatchString(id) }

// ExpiryWindow is how long before they expire assumed credentials are
// renewed: AssumeRole's default lifetime is an hour and a campaign may run
// longer, so no call is signed with credentials about to run out.
const ExpiryWindow = 5 * time.Minute

// AssumeError says a role could not be assumed in an account; its message
// names the role (whose ARN holds the account).
type AssumeError struct {
	Account, Role string
	Err           error
}

func (e *AssumeError) Error() string {
	return fmt.Sprintf("assuming %s: %v", e.Role, e.Err)
}

func (e *AssumeError) Unwrap() error { return e.Err }

// Assume returns a copy of base whose credentials are roleARN's, assumed
// with base's own credentials through STS, cached and renewed ExpiryWindow
// before they expire. It assumes the role once before returning, so that
// a role that cannot be assumed is an *AssumeError now rather than the
// first call's error later.
func Assume(ctx context.Context, base aws.Config, account, roleARN string, r Role) (aws.Config, error) {
	cfg := base.Copy()
	if cfg.Region == "" {
		// STS needs a region to sign for; any will do for AssumeRole.
		cfg.Region = "us-east-1"
	}
	session := r.Session
	if session == "" {
		session = fmt.Sprintf("layerkit-%d", time.Now().Unix())
	}
	prov := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		if r.ExternalID != "" {
			o.ExternalID = aws.String(r.ExternalID)
		}
	})
	out := base.Copy()
	out.Credentials = aws.NewCredentialsCache(prov, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = ExpiryWindow })
	if _, err := out.Credentials.Retrieve(ctx); err != nil {
		// The cache's "failed to refresh cached credentials" says nothing
		// the AssumeError does not; STS's own answer is kept.
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			err = oe
		}
		return aws.Config{}, &AssumeError{Account: account, Role: roleARN, Err: err}
	}
	return out, nil
}
