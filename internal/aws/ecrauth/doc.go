// Package ecrauth logs in to Amazon ECR registries for go-containerregistry:
// a Keychain that answers for <account>.dkr.ecr.<region>.amazonaws.com with
// the token of ecr:GetAuthorizationToken (base64 "AWS:<password>", valid
// 12 hours) and leaves every other registry to another keychain (the
// Docker config's, in layerkit).
//
// It is the only place the image build touches the AWS SDK; package build
// receives the keychain and knows nothing of AWS.
package ecrauth
