// Shared setup of the kit's notebooks. Import it on the first line of a notebook's first code cell:
//
//     #!import _setup.csx
//
// It runs in VS Code Polyglot Notebooks (dotnet-interactive) and in `researchkit notebook run`; both resolve the
// paths below against the notebook's folder, so notebooks live next to this file in notebooks/.
// The references point at the RID-specific Release build of ResearchKit.Notebooks: the kit, its dependencies and the
// patched libtorch sit side by side there (one folder, one libtorch; docs/native-libtorch.md). Build it first:
//
//     dotnet build src/ResearchKit.Notebooks -c Release
//
// Never `#r "nuget:TorchSharp-cpu"` in a notebook: it would load a second, unpatched libtorch.
#r "../src/ResearchKit.Notebooks/bin/Release/net10.0/linux-x64/TorchSharp.dll"
#r "../src/ResearchKit.Notebooks/bin/Release/net10.0/linux-x64/ResearchKit.dll"
#r "../src/ResearchKit.Notebooks/bin/Release/net10.0/linux-x64/Microsoft.Data.Analysis.dll"
#r "../src/ResearchKit.Notebooks/bin/Release/net10.0/linux-x64/Plotly.NET.dll"
#r "../src/ResearchKit.Notebooks/bin/Release/net10.0/linux-x64/Plotly.NET.CSharp.dll"
#r "../src/ResearchKit.Notebooks/bin/Release/net10.0/linux-x64/ResearchKit.Notebooks.dll"

using TorchSharp;
using static TorchSharp.torch;
using Microsoft.Data.Analysis;
using Plotly.NET;
using ResearchKit.Notebooks.Charts;
using ResearchKit.Notebooks.Embedding;
using ResearchKit.Notebooks.Export;
using ResearchKit.Notebooks.Formatting;

// Offline renderers for charts (plotly.js inline), data frames and kit result types.
NotebookFormatters.Register();
