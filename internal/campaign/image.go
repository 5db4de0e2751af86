package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/layerkit/layerkit/layers"
)

// ImageRepository is the repository part of an image reference: ref
// without its "@sha256:…" digest or ":tag" ("1.dkr.ecr.eu-west-1.amazonaws.com/orders").
func ImageRepository(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref
}

// CheckImageRef returns an error unless ref names one image Lambda can
// take: a registry host, a repository, and a tag or a sha256 digest.
func CheckImageRef(ref string) error {
	repo := ImageRepository(ref)
	switch {
	case !strings.Contains(repo, "/") || strings.HasPrefix(repo, "/") || strings.HasSuffix(repo, "/"):
		return fmt.Errorf("image %q: want REGISTRY/REPOSITORY:TAG or REGISTRY/REPOSITORY@sha256:DIGEST", ref)
	case repo == ref:
		return fmt.Errorf("image %q has neither a tag nor a digest", ref)
	case strings.Contains(ref, "@") && !strings.Contains(ref, "@sha256:"):
		return fmt.Errorf("image %q: a digest is sha256:HEX", ref)
	}
	return nil
}

// ecrRegion is the region of an ECR registry host in ref
// (ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]), or "" for another registry.
func ecrRegion(ref string) string {
	host, _, _ := strings.Cut(ref, "/")
	parts := strings.Split(host, ".")
	if len(parts) >= 6 && parts[1] == "dkr" && parts[2] == "ecr" && parts[4] == "amazonaws" {
		return parts[3]
	}
	return ""
}

// planImage plans an image function onto an image for the target
// architecture: the --image-map entry for its repository, or else the
// build's image pushed to that repository for the plan's runtime and the
// target architecture. Without one the step is blocked with the reason;
// an image outside the function's region (Lambda takes only ECR images of
// its own region) blocks it too.
func planImage(ctx context.Context, lc LambdaAPI, s Step, o PlanOptions) (Step, error) {
	out, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(s.ARN)})
	if err != nil {
		return s, fmt.Errorf("reading the image of %s in %s: %w", s.Name, s.Region, err)
	}
	if out.Code == nil || aws.ToString(out.Code.ImageUri) == "" {
		s.Blockers = append(s.Blockers, "container image function without an ImageUri in GetFunction: its image cannot be planned")
		return s, nil
	}
	s.Current.Runtime, s.Current.ImageURI = "", aws.ToString(out.Code.ImageUri)
	s.Target.Runtime, s.Target.Layers = "", []string{}
	repo := ImageRepository(s.Current.ImageURI)
	ref, how := o.ImageMap[repo], "--image-map"
	if ref == "" {
		how = "build manifest"
		var others []string
		for _, a := range o.Images {
			if a.Ref == "" || ImageRepository(a.Ref) != repo {
				continue
			}
			if a.Arch == s.Target.Arch && a.Runtime == o.To {
				ref = a.Ref
				break
			}
			others = append(others, a.Runtime+"/"+string(a.Arch))
		}
		if ref == "" {
			why := fmt.Sprintf("no image for %s on %s/%s: map it (--image-map %s=IMAGE) or build and push one (layerkit build --image --push)",
				repo, o.To, s.Target.Arch, repo)
			if len(others) > 0 {
				why += fmt.Sprintf(" (the build has %s only)", strings.Join(others, ", "))
			}
			s.Target.ImageURI = s.Current.ImageURI
			s.Blockers = append(s.Blockers, why)
			return s, nil
		}
	}
	s.Target.ImageURI = ref
	if r := ecrRegion(ref); r != "" && r != s.Region {
		s.Blockers = append(s.Blockers, fmt.Sprintf("image %s is in ECR in %s; Lambda takes images only from ECR in the function's region (%s): push it there (or replicate the repository)", ref, r, s.Region))
	}
	s.Notes = append(s.Notes, fmt.Sprintf("image %s -> %s (%s), architecture %s -> %s: UpdateFunctionCode{ImageUri, Architectures}, then wait for Active",
		s.Current.ImageURI, ref, how, s.Current.Arch, s.Target.Arch))
	if resolved := aws.ToString(out.Code.ResolvedImageUri); !strings.Contains(s.Current.ImageURI, "@") && resolved != "" {
		s.Notes = append(s.Notes, fmt.Sprintf("the function names its image by tag (%s, now %s): rollback sets the tag again, and Lambda resolves it again; "+
			"if the tag has moved by then, restore %s by hand", s.Current.ImageURI, resolved, resolved))
	}
	if how == "--image-map" {
		s.Notes = append(s.Notes, fmt.Sprintf("Lambda does not check an image's platform against the function's architecture: %s must be built for %s, or every call fails (exec format error)", ref, s.Target.Arch))
	}
	aliases, err := versionAliases(ctx, lc, s.ARN)
	if err != nil {
		return s, fmt.Errorf("listing the aliases of %s in %s: %w", s.Name, s.Region, err)
	}
	s.Aliases = aliases
	for _, a := range aliases {
		s.Notes = append(s.Notes, fmt.Sprintf("alias %s routes to version %s, which keeps the old image: apply changes $LATEST; "+
			"afterwards publish a version and move the alias to it", a.Name, a.Version))
	}
	return s, nil
}

// checkImageStep checks what apply relies on in an image step read from a
// plan file.
func checkImageStep(s Step) error {
	for _, ref := range []string{s.Current.ImageURI, s.Target.ImageURI} {
		if err := CheckImageRef(ref); err != nil {
			return err
		}
	}
	if s.Current.Runtime != "" || s.Target.Runtime != "" || len(s.Target.Layers) > 0 {
		return errors.New("an image step has no runtime and no layers")
	}
	for _, a := range []layers.Arch{s.Current.Arch, s.Target.Arch} {
		if a != layers.X86_64 && a != layers.ARM64 {
			return fmt.Errorf("architecture %q: want x86_64 or arm64", a)
		}
	}
	return nil
}

// imageConfig is an image function's live configuration, its ImageUri
// included (GetFunction gives it beside the configuration).
func imageConfig(fc *lambda.GetFunctionOutput) Config {
	c := configOf(fc.Configuration)
	if fc.Code != nil {
		c.ImageURI = aws.ToString(fc.Code.ImageUri)
	}
	return c
}

// forwardImage moves an image function to its target image and
// architecture, recording it first, as forward does for a zip function.
func (a *applier) forwardImage(ctx context.Context, api ApplyAPI, s *Step) (bool, error) {
	fc, err := a.settle(ctx, api, s.ARN)
	if err != nil {
		return false, err
	}
	live := imageConfig(fc)
	ev := func(kind string) error {
		if err := a.j.Append(Event{Event: kind, Region: s.Region, Name: s.Name, ARN: s.ARN}); err != nil {
			return errJournal{err}
		}
		return nil
	}
	st := a.j.State(s.ARN)
	if st != nil && st.Recorded != nil && !between(live, *st.Recorded, s.Target) {
		return false, fmt.Errorf("changed by someone else since an earlier run recorded it (now %s, recorded %s): nothing done", live, *st.Recorded)
	}
	changed := false
	if st == nil || st.Recorded == nil {
		if !live.Equal(s.Current) && !live.Equal(s.Target) {
			return false, fmt.Errorf("changed since the plan was made (now %s, planned from %s): nothing done; make the plan again", live, s.Current)
		}
		if err := a.j.Append(Event{Event: EventRecorded, Region: s.Region, Name: s.Name, ARN: s.ARN, Config: &live, Target: &s.Target}); err != nil {
			return false, errJournal{err}
		}
	} else {
		changed = !st.Recorded.Equal(s.Target)
	}
	if !live.Equal(s.Target) {
		if err := a.setImage(ctx, api, s.ARN, s.Target); err != nil {
			return true, err
		}
		if err := ev(EventCode); err != nil {
			return true, err
		}
		changed = true
	}
	if err := a.verifyImage(ctx, api, s.ARN, s.Target); err != nil {
		return changed, err
	}
	return changed, a.smokeAndDone(ctx, api, s.ARN, ev)
}

// restoreImage puts an image function back on its recorded image and
// architecture and reports whether it changed anything.
func (a *applier) restoreImage(ctx context.Context, api ApplyAPI, st FunctionState) (bool, error) {
	fc, err := a.settle(ctx, api, st.ARN)
	if err != nil {
		return false, err
	}
	live, rec := imageConfig(fc), *st.Recorded
	if live.Equal(rec) {
		return false, nil
	}
	if !a.o.Force && st.Target != nil && !between(live, rec, *st.Target) {
		return false, fmt.Errorf("changed by someone else since layerkit changed it (now %s): left alone; --force restores %s anyway", live, rec)
	}
	if err := a.setImage(ctx, api, st.ARN, rec); err != nil {
		return true, err
	}
	return true, a.verifyImage(ctx, api, st.ARN, rec)
}

// setImage points the function at c's image and architecture in one
// UpdateFunctionCode and waits for the update to finish and the function
// to be Active (Lambda optimises a new image in Pending).
func (a *applier) setImage(ctx context.Context, api ApplyAPI, arn string, c Config) error {
	err := a.call(ctx, api, arn, func() error {
		_, err := api.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(arn),
			ImageUri: aws.String(c.ImageURI), Architectures: []ltypes.Architecture{ltypes.Architecture(c.Arch)}})
		return err
	})
	if err != nil {
		return fmt.Errorf("UpdateFunctionCode to %s: %w", c, err)
	}
	if err := a.waitUpdated(ctx, api, arn); err != nil {
		return err
	}
	_, err = a.settle(ctx, api, arn)
	return err
}

// verifyImage reads the function back: it must run c's image on c's
// architecture.
func (a *applier) verifyImage(ctx context.Context, api ApplyAPI, arn string, c Config) error {
	fc, err := a.get(ctx, api, arn)
	if err != nil {
		return err
	}
	if live := imageConfig(fc); !live.Equal(c) {
		return fmt.Errorf("after the update it runs %s, not %s", live, c)
	}
	return nil
}
