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
		{"xn--photos", "xn--"},
		{"photos-s3alias", "-s3alias"},
		{"photos--ol-s3", "--ol-s3"},
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
