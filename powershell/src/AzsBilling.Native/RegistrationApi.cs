// The registration part of the shim: one static method per C function of src/ffi/registration.rs (see
// docs/registration.md), JSON strings in and out. Kept apart from Api.cs, which serves the usage commands.

using System;
using System.Runtime.InteropServices;

namespace AzsBilling.Native
{
    public static class RegistrationApi
    {
        public static string DecodeRegistrationToken(string token) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_registration_token_decode(token, out json, out error));

        public static string DecodeActivationKey(string key) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_activation_key_decode(key, out json, out error));

        public static string ResolveSettings(string settingsJson) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_registration_settings_resolve(settingsJson, out json, out error));

        public static string TokenParameters(string stampVersion, string resolvedSettingsJson) =>
            Api.Call((out IntPtr json, out IntPtr error) =>
                NativeMethods.azsb_registration_token_parameters(stampVersion, resolvedSettingsJson, out json, out error));

        /// <summary>A registration beside the stamp's activation (see azsb_registration_status); no request is sent.</summary>
        public static string Status(string argsJson) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_registration_status(argsJson, out json, out error));

        /// <summary>Whether the PEP's Set-RegistrationKeyPair applies (builds after 1.2209.0.23 with several nodes).</summary>
        public static bool NeedsKeyPair(string stampVersion, uint numberOfNodes)
        {
            NativeLoader.EnsureLoaded();
            AzsbStatus status = NativeMethods.azsb_registration_needs_key_pair(stampVersion, numberOfNodes, out bool needs, out IntPtr error);
            Api.Check(status, error);
            return needs;
        }

        public static string Create(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_registration_create, client, args);
        public static string Get(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_registration_get, client, args);
        public static string List(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_registration_list, client, args);
        public static string Find(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_registration_find, client, args);
        public static string Remove(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_registration_remove, client, args);
        public static string ActivationKey(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_activation_key, client, args);
        public static string EnsureRoleAssignment(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_role_assignment_ensure, client, args);
        public static string PutCustomerSubscription(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_customer_subscription_put, client, args);
        public static string GetCustomerSubscription(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_customer_subscription_get, client, args);
        public static string ListCustomerSubscriptions(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_customer_subscription_list, client, args);
        public static string RemoveCustomerSubscription(ClientHandle client, string args) => ClientCall(NativeMethods.azsb_azure_customer_subscription_remove, client, args);

        /// <summary>The stamp's Microsoft.AzureBridge.Admin/activations/default, through an admin-endpoint client.</summary>
        public static string StampActivation(ClientHandle client) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_stamp_activation_get(client, out json, out error));

        /// <summary>
        /// The parameters the library sends a PEP command with unless given (TimeoutInSeconds for the long
        /// commands), a JSON object; for PowerShell remoting and the emulated PEP alike.
        /// </summary>
        public static string PepCommandDefaults(string command) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_pep_command_defaults(command, out json, out error));

        /// <summary>Runs a command on the emulator's privileged endpoint model; returns {"output": ...}.</summary>
        public static string PepInvoke(string optionsJson, string command, string parametersJson) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_pep_invoke(optionsJson, command, parametersJson, out json, out error));

        /// <summary>
        /// The refresh token of a device code sign-in, for New-AzureBridgeServicePrincipal on the privileged
        /// endpoint only: the caller must not keep, log or show it.
        /// </summary>
        public static string RefreshToken(ClientHandle client) =>
            Api.Call((out IntPtr json, out IntPtr error) => NativeMethods.azsb_client_refresh_token(client, out json, out error));

        private static string ClientCall(NativeMethods.ClientJsonFunction function, ClientHandle client, string args) =>
            Api.Call((out IntPtr json, out IntPtr error) => function(client, args, out json, out error));
    }
}
