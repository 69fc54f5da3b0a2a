package keyring

import gokeyring "github.com/zalando/go-keyring"

var errNotFoundLib = gokeyring.ErrNotFound
