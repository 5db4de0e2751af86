package cfn

import "testing"

// FuzzParse feeds templates to Parse and resolves every property of every
// resource: nothing may panic or run away.
func FuzzParse(f *testing.F) {
	f.Add([]byte(samTemplate))
	f.Add([]byte(`{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"Handler":{"Fn::Join":["",["index",".handler"]]},"Layers":[{"Ref":"L"}]}},"L":{"Type":"AWS::Lambda::LayerVersion"}}}`))
	f.Add([]byte("Resources:\n  A: !Sub ['${x}-${AWS::Region}', {x: !Ref P}]\nParameters:\n  P: {Default: 1}\n"))
	f.Add([]byte("Resources: {A: {Type: T, Properties: {X: !GetAtt A.B, Y: !If [C, 1, 2]}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tp, err := Parse(data)
		if err != nil {
			return
		}
		r := &Resolver{T: tp, Pseudo: map[string]string{"AWS::Region": "us-east-1"}}
		for _, res := range tp.Resources {
			for _, v := range res.Properties {
				r.String(v)
				r.Strings(v)
				r.RefTarget(v)
			}
		}
	})
}
