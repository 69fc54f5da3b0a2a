package main

import "github.com/spf13/cobra"

// Placeholder: replaced by the authhelper work (issue 6), which adds profile,
// serve, login, token, exec, status, logout, doctor, env-key and service.
func addAuthCommands(root *cobra.Command, f *Factory) {}
