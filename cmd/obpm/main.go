// Command obpm turns OpenAPI documents (the KFTC Open Banking API ships embedded)
// into Postman collections, simulates the Open Banking testbed locally, and keeps
// OAuth tokens fresh for Postman, Newman, curl and CI.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], defaultFactory()))
}
