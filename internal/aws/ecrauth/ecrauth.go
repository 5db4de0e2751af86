package ecrauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// TokenAPI is the part of the ECR API the keychain uses.
type TokenAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// Keychain resolves ECR registries' credentials through ECR and the rest
// through Next. It is safe for concurrent use; a token is fetched once per
// registry and kept for the Keychain's life (a build, far shorter than the
// token's 12 hours).
type Keychain struct {
	// Next resolves registries that are not ECR's; nil means anonymous.
	Next authn.Keychain
	// Client returns the ECR client for a region.
	Client func(ctx context.Context, region string) (TokenAPI, error)

	mu     sync.Mutex
	tokens map[string]authn.AuthConfig
}

// ecrHost matches an ECR private registry's host name; group 1 is its
// region. FIPS endpoints and the China partition's domain count too.
var ecrHost = regexp.MustCompile(`^\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// Region returns the region of an ECR registry host, or ok false when host
// is not one.
func Region(host string) (region string, ok bool) {
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Resolve implements authn.Keychain.
func (k *Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain.
func (k *Keychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	region, ok := Region(host)
	if !ok {
		if k.Next == nil {
			return authn.Anonymous, nil
		}
		return authn.Resolve(ctx, k.Next, r)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if ac, ok := k.tokens[host]; ok {
		return authn.FromConfig(ac), nil
	}
	c, err := k.Client(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", host, err)
	}
	out, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: ecr:GetAuthorizationToken: %w", host, err)
	}
	ac, err := decode(out)
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", host, err)
	}
	if k.tokens == nil {
		k.tokens = map[string]authn.AuthConfig{}
	}
	k.tokens[host] = ac
	return authn.FromConfig(ac), nil
}

// ErrBadToken reports an authorization token that is not base64
// "<user>:<password>".
var ErrBadToken = errors.New("the ECR authorization token is not base64 user:password")

func decode(out *ecr.GetAuthorizationTokenOutput) (authn.AuthConfig, error) {
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return authn.AuthConfig{}, ErrBadToken
	}
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return authn.AuthConfig{}, ErrBadToken
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" || pass == "" {
		return authn.AuthConfig{}, ErrBadToken
	}
	return authn.AuthConfig{Username: user, Password: pass}, nil
}

// Options say how to reach AWS.
type Options struct {
	// Profile names a shared-config profile; "" uses the default chain.
	Profile string
	// EndpointURL sends ECR requests to one endpoint (moto_server).
	EndpointURL string
}

// New returns a Keychain for ECR registries, loading the AWS configuration
// on first use (so that a build that pushes elsewhere needs no AWS
// credentials), and next for the others.
func New(o Options, next authn.Keychain) *Keychain {
	var once sync.Once
	var cfg aws.Config
	var cfgErr error
	return &Keychain{Next: next, Client: func(ctx context.Context, region string) (TokenAPI, error) {
		once.Do(func() {
			var opts []func(*config.LoadOptions) error
			if o.Profile != "" {
				opts = append(opts, config.WithSharedConfigProfile(o.Profile))
			}
			cfg, cfgErr = config.LoadDefaultConfig(ctx, opts...)
			if cfgErr != nil {
				cfgErr = fmt.Errorf("loading AWS configuration: %w", cfgErr)
			}
		})
		if cfgErr != nil {
			return nil, cfgErr
		}
		return ecr.NewFromConfig(cfg, func(eo *ecr.Options) {
			eo.Region = region
			if o.EndpointURL != "" {
				eo.BaseEndpoint = aws.String(o.EndpointURL)
			}
		}), nil
	}}
}
