// Finds and loads the native azs_billing library the PSWSMan way: an explicit path under the module folder
// (runtimes/<rid>/native/<file>), or the file AZSBILLING_NATIVE_PATH names, loaded with NativeLibrary and
// handed to every [DllImport("azs_billing")] of this assembly through SetDllImportResolver. Nothing depends on
// the OS loader's search path or on PowerShell's own last-resort native resolver.
//
// The module's script calls EnsureLoaded as it is imported (RequiredAssemblies loads this assembly first). An
// IModuleAssemblyInitializer is deliberately not used: when the OnImport of a nested binary module throws,
// PowerShell reports a non-terminating error and the import half-succeeds, even with -ErrorAction Stop.

using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AzsBilling.Native
{
    public static class NativeLoader
    {
        /// <summary>The ABI version (AZSB_ABI_VERSION) this assembly's declarations were written for.</summary>
        public const uint ExpectedAbiVersion = 1;

        /// <summary>Names a library file to load instead of the module's runtimes folder.</summary>
        public const string PathVariable = "AZSBILLING_NATIVE_PATH";

        private static readonly object Gate = new object();
        private static IntPtr _handle;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate uint AbiVersionFunction();

        /// <summary>The file that was loaded, or null before the first successful load.</summary>
        public static string? LoadedPath { get; private set; }

        /// <summary>The .NET runtime identifier of this process: linux-x64, osx-arm64, win-x64, ...</summary>
        public static string RuntimeIdentifier
        {
            get
            {
                string os = OperatingSystem.IsWindows() ? "win"
                    : OperatingSystem.IsMacOS() ? "osx"
                    : OperatingSystem.IsFreeBSD() ? "freebsd"
                    : "linux";
                string arch = RuntimeInformation.ProcessArchitecture switch
                {
                    Architecture.X64 => "x64",
                    Architecture.Arm64 => "arm64",
                    Architecture.X86 => "x86",
                    Architecture.Arm => "arm",
                    var other => other.ToString().ToLowerInvariant(),
                };
                return $"{os}-{arch}";
            }
        }

        /// <summary>The library's file name on this OS.</summary>
        public static string LibraryFileName =>
            OperatingSystem.IsWindows() ? "azs_billing.dll"
            : OperatingSystem.IsMacOS() ? "libazs_billing.dylib"
            : "libazs_billing.so";

        /// <summary>The module folder: the parent of bin/ where this assembly lives.</summary>
        public static string ModuleRoot
        {
            get
            {
                string? dir = Path.GetDirectoryName(typeof(NativeLoader).Assembly.Location);
                if (string.IsNullOrEmpty(dir))
                {
                    return AppContext.BaseDirectory;
                }
                return string.Equals(Path.GetFileName(dir), "bin", StringComparison.OrdinalIgnoreCase)
                    ? Path.GetDirectoryName(dir) ?? dir
                    : dir;
            }
        }

        /// <summary>The paths loading tries, in order.</summary>
        public static IReadOnlyList<string> CandidatePaths()
        {
            string? overridePath = Environment.GetEnvironmentVariable(PathVariable);
            if (!string.IsNullOrWhiteSpace(overridePath))
            {
                return new[] { Path.GetFullPath(overridePath) };
            }
            var paths = new List<string>();
            void Add(string root)
            {
                string path = Path.GetFullPath(Path.Combine(root, "runtimes", RuntimeIdentifier, "native", LibraryFileName));
                if (!paths.Contains(path))
                {
                    paths.Add(path);
                }
            }
            Add(ModuleRoot);
            string? assemblyDir = Path.GetDirectoryName(typeof(NativeLoader).Assembly.Location);
            if (!string.IsNullOrEmpty(assemblyDir))
            {
                Add(assemblyDir);
            }
            return paths;
        }

        /// <summary>
        /// Loads the library once (later calls return the same handle). Throws DllNotFoundException listing
        /// every path tried, or InvalidOperationException when the library's ABI version is not the expected one.
        /// </summary>
        public static IntPtr EnsureLoaded()
        {
            lock (Gate)
            {
                if (_handle != IntPtr.Zero)
                {
                    return _handle;
                }
                var tried = new List<string>();
                foreach (string path in CandidatePaths())
                {
                    if (!File.Exists(path))
                    {
                        tried.Add($"{path} (not found)");
                        continue;
                    }
                    IntPtr handle;
                    try
                    {
                        handle = NativeLibrary.Load(path);
                    }
                    catch (Exception e) when (e is DllNotFoundException || e is BadImageFormatException)
                    {
                        tried.Add($"{path} (could not be loaded: {e.Message})");
                        continue;
                    }
                    CheckAbiVersion(handle, path);
                    _handle = handle;
                    LoadedPath = path;
                    return handle;
                }
                string source = string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PathVariable))
                    ? $"under the module folder for {RuntimeIdentifier} (set {PathVariable} to a library file to use another one)"
                    : $"at {PathVariable}";
                throw new DllNotFoundException(
                    $"The azs_billing native library was not found {source}. Paths tried: {string.Join("; ", tried)}");
            }
        }

        private static void CheckAbiVersion(IntPtr handle, string path)
        {
            if (!NativeLibrary.TryGetExport(handle, "azsb_abi_version", out IntPtr export))
            {
                NativeLibrary.Free(handle);
                throw new InvalidOperationException(
                    $"{path} does not export azsb_abi_version: it is not the azs_billing library, or one older than ABI version {ExpectedAbiVersion}.");
            }
            uint actual = Marshal.GetDelegateForFunctionPointer<AbiVersionFunction>(export)();
            if (actual != ExpectedAbiVersion)
            {
                NativeLibrary.Free(handle);
                throw new InvalidOperationException(
                    $"{path} has ABI version {actual}, but this AzsBilling module needs ABI version {ExpectedAbiVersion}: install the library that came with the module.");
            }
        }

        /// <summary>Registers the resolver as soon as the assembly loads, before any P/Invoke can run.</summary>
#pragma warning disable CA2255 // A library's module initializer is exactly right here: the resolver must exist before the first P/Invoke.
        [ModuleInitializer]
        internal static void RegisterResolver()
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);
        }
#pragma warning restore CA2255

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            return libraryName == NativeMethods.Library ? EnsureLoaded() : IntPtr.Zero;
        }
    }
}
