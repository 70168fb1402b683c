package buckets

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestValidateName(t *testing.T) {
	long := "a123456789012345678901234567890123456789012345678901234567890123"
	cases := []struct {
		name, want string
	}{
		{"photos", ""},
		{"my.site-assets2", ""},
		{"abc", ""},
		{"", "is required"},
		{"ab", "too short"},
		{long, "too long"},
		{"Photos", "uppercase"},
		{"pho_tos", "character '_'"},
		{"pho tos", "character ' '"},
		{"-photos", "start and end"},
		{"photos.", "start and end"},
		{"pho..tos", "two dots"},
		{"pho.-tos", "dot next to a hyphen"},
		{"192.168.5.4", "IP address"},
		{"xn--photos", `starts with "xn--", which S3 reserves for internationalized domain names: pick another name`},
		{"sthree-photos", `starts with "sthree-"`},
		{"sthree-configurator", `starts with "sthree-"`},
		{"amzn-s3-demo-bucket", `starts with "amzn-s3-demo-", which S3 reserves for its documentation examples`},
		{"photos-s3alias", `ends with "-s3alias", which S3 reserves for access point aliases`},
		{"photos--ol-s3", `ends with "--ol-s3"`},
		{"photos.mrap", `ends with ".mrap", which S3 reserves for Multi-Region Access Points`},
		{"photos--usw2-az1--x-s3", `ends with "--x-s3", which S3 reserves for directory buckets`},
		{"photos--table-s3", `ends with "--table-s3", which S3 reserves for table buckets: pick another name`},
		// Near misses are ordinary names.
		{"xn-photos", ""},
		{"sthree", ""},
		{"my-sthree-photos", ""},
		{"amzn-s3-photos", ""},
		{"photos-s3alias2", ""},
		{"photos-ol-s3", ""},
		{"photos.mrap2", ""},
		{"photos-x-s3", ""},
		{"photos-table-s3", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateName(c.name)
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.ErrorIs(t, err, shared.ErrInvalidArgument)
			require.Contains(t, err.Error(), c.want)
			require.Equal(t, "name", shared.AsError(err).Field)
		})
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name, policy string
		want         shared.Visibility
	}{
		{"none", "", shared.Private},
		{"ours", PublicPolicy("photos"), shared.Public},
		{"minio normalised", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::photos/*"]}]}`, shared.Public},
		{"principal string", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`, shared.Public},
		{"also lists", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::photos/*","arn:aws:s3:::photos"]}]}`, shared.Custom},
		{"other bucket", PublicPolicy("other"), shared.Custom},
		{"two statements", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"},{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::photos/*"}]}`, shared.Custom},
		{"condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, shared.Custom},
		{"garbage", `{`, shared.Custom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, Classify("photos", c.policy))
		})
	}
}
