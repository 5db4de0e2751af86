// Package cdk reads the cloud assembly `cdk synth` leaves in cdk.out: the
// manifest's stacks, Stages (nested assemblies in assembly-<Stage>/) and
// asset manifests, each stack's template and its nested stacks' templates,
// and for every AWS::Lambda::Function the runtime, architecture, handler,
// environment, code folder or zip (asset.<hash>) and layers in order.
//
// It reads JSON files only and never runs the CDK app, the CLI or node: what
// is not in the assembly (code only in S3, images, layers given as ARNs,
// values known only at deploy time) is named in notes, not fetched. Every
// path the assembly names is confined to the top cdk.out folder, Stage
// assets included (they live beside the top manifest).
package cdk
