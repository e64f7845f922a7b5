// pulumi-resource-aws, e2e stand-in: the AWS resources and functions the program uses, kept only
// in Pulumi's state, with the ids and ARNs AWS would assign (account 123456789012). The real
// provider cannot be built here (its Go module replaces the Terraform AWS provider with a patched
// copy that the module proxy does not serve). It proves the program's resource graph, names and
// wiring under the real engine; it proves nothing about AWS's validation or IAM semantics.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kline-ops/tests/e2e/stand-ins/internal/fakecloud"
)

// version is set at build time to the version of the @pulumi/aws npm package.
var version = "0.0.0"

const account = "123456789012"

func str(in resource.PropertyMap, key string) string {
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsSecret() && v.SecretValue().Element.IsString() {
		return v.SecretValue().Element.StringValue()
	}
	return ""
}

func region(env fakecloud.Env) string {
	if r := env.Config["region"]; r != "" {
		return r
	}
	return "us-east-1"
}

// bucketChild is an S3 bucket sub-resource (policy, versioning, ...): its id is the bucket's name.
var bucketChild = fakecloud.Kind{
	ReplaceOn: []string{"bucket", "expectedBucketOwner"},
	Create: func(_ fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
		return str(in, "bucket"), nil
	},
}

func main() {
	fakecloud.Serve(&fakecloud.Provider{
		Package: "aws",
		Version: version,
		Kinds: map[string]fakecloud.Kind{
			"aws:kms/key:Key": {
				ReplaceOn: []string{"customerMasterKeySpec", "keyUsage", "multiRegion"},
				Create: func(env fakecloud.Env, _ resource.PropertyMap) (string, resource.PropertyMap) {
					h := fakecloud.RandomHex(env.Rand, 16)
					id := fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
					return id, resource.PropertyMap{
						"keyId": resource.NewStringProperty(id),
						"arn":   resource.NewStringProperty(fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region(env), account, id)),
					}
				},
			},
			"aws:kms/alias:Alias": {
				ReplaceOn: []string{"name", "namePrefix"},
				Create: func(env fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
					name := str(in, "name")
					return name, resource.PropertyMap{
						"arn":          resource.NewStringProperty(fmt.Sprintf("arn:aws:kms:%s:%s:%s", region(env), account, name)),
						"targetKeyArn": resource.NewStringProperty(fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", region(env), account, str(in, "targetKeyId"))),
					}
				},
			},
			"aws:s3/bucket:Bucket": {
				Autoname:  "bucket",
				ReplaceOn: []string{"bucket", "bucketPrefix", "objectLockEnabled"},
				Create: func(env fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
					b := str(in, "bucket")
					return b, resource.PropertyMap{
						"arn":                      resource.NewStringProperty("arn:aws:s3:::" + b),
						"bucketDomainName":         resource.NewStringProperty(b + ".s3.amazonaws.com"),
						"bucketRegionalDomainName": resource.NewStringProperty(fmt.Sprintf("%s.s3.%s.amazonaws.com", b, region(env))),
						"region":                   resource.NewStringProperty(region(env)),
					}
				},
			},
			"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                 bucketChild,
			"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                 bucketChild,
			"aws:s3/bucketVersioning:BucketVersioning":                                               bucketChild,
			"aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": bucketChild,
			"aws:s3/bucketPolicy:BucketPolicy":                                                       bucketChild,
			"aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":                       bucketChild,
			"aws:s3/bucketLogging:BucketLogging":                                                     bucketChild,
			"aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration":                     bucketChild,
			"aws:iam/role:Role": {
				Autoname:  "name",
				ReplaceOn: []string{"name", "namePrefix", "path"},
				Create: func(env fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
					name := str(in, "name")
					return name, resource.PropertyMap{
						"arn":      resource.NewStringProperty(fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)),
						"uniqueId": resource.NewStringProperty("AROA" + fakecloud.RandomHex(env.Rand, 8)),
					}
				},
			},
			"aws:iam/rolePolicy:RolePolicy": {
				Autoname:  "name",
				ReplaceOn: []string{"name", "namePrefix", "role"},
				Create: func(_ fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
					return str(in, "role") + ":" + str(in, "name"), nil
				},
			},
		},
		Functions: map[string]fakecloud.Function{
			"aws:index/getCallerIdentity:getCallerIdentity": func(map[string]string, resource.PropertyMap) resource.PropertyMap {
				return resource.PropertyMap{
					"accountId": resource.NewStringProperty(account),
					"arn":       resource.NewStringProperty("arn:aws:iam::" + account + ":user/kline-e2e"),
					"id":        resource.NewStringProperty(account),
					"userId":    resource.NewStringProperty("AIDAKLINEE2E"),
				}
			},
		},
	})
}
