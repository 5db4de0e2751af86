package publish

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ClientsFromConfig returns clients made from cfg as NewClients makes them
// from the configuration it loads (S3 path-style when cfg has a base
// endpoint), for a configuration made elsewhere: another account's, with
// a role assumed there. It checks no credentials.
func ClientsFromConfig(cfg aws.Config) SDKClients {
	return &sdkClients{cfg: cfg, pathStyle: cfg.BaseEndpoint != nil, lambdas: map[string]*lambda.Client{}, s3s: map[string]*s3.Client{}}
}
