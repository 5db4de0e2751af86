// Package ecrauth logs in to Amazon ECR registries for go-containerregistry:
// a keychain that answers for ECR hosts with the token
// ecr:GetAuthorizationToken gives (base64 "AWS:<password>", valid 12
// hours), through the AWS credentials layerkit already uses. It answers
// nothing for other registries, so that it goes in front of the Docker
// config's keychain (authn.NewMultiKeychain). It lives under internal/aws
// because only there may code import the AWS SDK.
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

// TokenAPI is the one ECR call the keychain makes.
type TokenAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// Keychain answers for ECR registries. Its methods are safe for concurrent
// use; each registry's token is fetched once.
type Keychain struct {
	ctx    context.Context
	client func(region string) (TokenAPI, error)

	mu     sync.Mutex
	tokens map[string]authn.AuthConfig
}

// New returns a keychain that makes a region's ECR client with client, on
// the first ECR registry of that region it is asked about. ctx bounds the
// token calls (go-containerregistry's keychain interface passes none).
func New(ctx context.Context, client func(region string) (TokenAPI, error)) *Keychain {
	return &Keychain{ctx: ctx, client: client, tokens: map[string]authn.AuthConfig{}}
}

// FromConfig returns a keychain whose clients come from cfg, in each
// registry's region.
func FromConfig(ctx context.Context, cfg aws.Config) *Keychain {
	return New(ctx, func(region string) (TokenAPI, error) {
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = region }), nil
	})
}

// ecrHost matches a private ECR registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// Registry returns the account and region of an ECR registry host, and
// whether it is one.
func Registry(host string) (account, region string, ok bool) {
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ErrBadToken reports an authorization token that is not base64
// "USER:PASSWORD".
var ErrBadToken = errors.New("ECR authorization token is not base64 USER:PASSWORD")

// Resolve implements authn.Keychain: the token's credentials for an ECR
// registry, authn.Anonymous for any other (so that a keychain after this
// one answers).
func (k *Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	_, region, ok := Registry(host)
	if !ok {
		return authn.Anonymous, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.tokens[host]; ok {
		return authn.FromConfig(c), nil
	}
	api, err := k.client(region)
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", host, err)
	}
	out, err := api.GetAuthorizationToken(k.ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("logging in to %s: %w", host, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, fmt.Errorf("logging in to %s: %w", host, ErrBadToken)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	user, pass, found := strings.Cut(string(raw), ":")
	if err != nil || !found {
		return nil, fmt.Errorf("logging in to %s: %w", host, ErrBadToken)
	}
	c := authn.AuthConfig{Username: user, Password: pass}
	k.tokens[host] = c
	return authn.FromConfig(c), nil
}

// Default returns the keychain layerkit uses for registries: ECR through
// the AWS configuration (loaded from the environment and shared files on
// the first ECR registry asked about, never before), then the Docker
// config's credentials.
func Default(ctx context.Context) authn.Keychain {
	var once sync.Once
	var cfg aws.Config
	var cfgErr error
	ecrKeys := New(ctx, func(region string) (TokenAPI, error) {
		once.Do(func() { cfg, cfgErr = config.LoadDefaultConfig(ctx) })
		if cfgErr != nil {
			return nil, fmt.Errorf("loading AWS configuration: %w", cfgErr)
		}
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = region }), nil
	})
	return authn.NewMultiKeychain(ecrKeys, authn.DefaultKeychain)
}
