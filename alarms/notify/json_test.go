package notify

import "encoding/json"

var jsonUnmarshal = json.Unmarshal
