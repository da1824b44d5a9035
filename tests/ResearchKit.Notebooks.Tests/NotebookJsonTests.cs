using System.Text.Json.Nodes;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Tests;

public class NotebookJsonTests
{
    // Hand-written in the layout VS Code Polyglot writes (spec §2.2): sorted keys, 1-space indent, trailing newline,
    // with the stream, error and display_data output shapes.
    internal const string PolyglotLayout = """
        {
         "cells": [
          {
           "cell_type": "markdown",
           "metadata": {},
           "source": [
            "# Title é ✓\n",
            "\n",
            "text"
           ]
          },
          {
           "cell_type": "code",
           "execution_count": 3,
           "id": "a1b2c3d4",
           "metadata": {
            "dotnet_interactive": {
             "language": "csharp"
            },
            "polyglot_notebook": {
             "kernelName": "csharp"
            },
            "vscode": {
             "languageId": "polyglot-notebook"
            }
           },
           "outputs": [
            {
             "name": "stdout",
             "output_type": "stream",
             "text": [
              "tab\there \"quoted\" back\\slash\n"
             ]
            },
            {
             "ename": "Error",
             "evalue": "System.Exception: bad\u001b",
             "output_type": "error",
             "traceback": [
              "System.Exception: bad\n",
              "   at Submission#3"
             ]
            },
            {
             "data": {
              "text/html": [
               "<b>x</b> & <i>y</i> 😀"
              ]
             },
             "metadata": {},
             "output_type": "display_data"
            }
           ],
           "source": [
            "Console.WriteLine(1.5e-3);"
           ]
          }
         ],
         "metadata": {
          "kernelspec": {
           "display_name": ".NET (C#)",
           "language": "C#",
           "name": ".net-csharp"
          },
          "language_info": {
           "name": "C#"
          },
          "polyglot_notebook": {
           "kernelInfo": {
            "defaultKernelName": "csharp",
            "items": [
             {
              "aliases": [],
              "name": "csharp"
             }
            ]
           }
          }
         },
         "nbformat": 4,
         "nbformat_minor": 5
        }

        """;

    [Fact]
    public void Polyglot_layout_round_trips_byte_for_byte()
    {
        var text = PolyglotLayout.Replace("\r\n", "\n");
        Assert.Equal(text, NotebookJson.Serialize(NotebookJson.Parse(text)));
    }

    [Fact]
    public void Keys_are_sorted_and_indentation_is_one_space()
    {
        var obj = new JsonObject { ["b"] = 1, ["a"] = new JsonArray("x", "y"), ["c"] = new JsonObject() };
        Assert.Equal("{\n \"a\": [\n  \"x\",\n  \"y\"\n ],\n \"b\": 1,\n \"c\": {}\n}\n", NotebookJson.Serialize(obj));
    }

    [Fact]
    public void Strings_are_escaped_like_json_stringify()
    {
        var s = NotebookJson.Serialize(JsonValue.Create("<a>&'é\u0001\t\"\\"));
        Assert.Equal("\"<a>&'é\\u0001\\t\\\"\\\\\"\n", s);
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData("a\nb", new[] { "a\n", "b" })]
    [InlineData("a\n", new[] { "a\n" })]
    [InlineData("a\n\nb", new[] { "a\n", "\n", "b" })]
    public void Text_splits_into_notebook_lines(string text, string[] lines)
    {
        Assert.Equal(lines, NotebookJson.ToLines(text).Select(n => n!.GetValue<string>()).ToArray());
        Assert.Equal(text, NotebookJson.JoinLines(NotebookJson.ToLines(text)));
    }

    [Fact]
    public void Non_notebook_json_is_rejected_with_the_expected_form()
    {
        var e = Assert.Throws<ArgumentException>(() => NotebookJson.Parse("{\"x\": 1}", "x.ipynb"));
        Assert.Contains("cells", e.Message);
        Assert.Throws<ArgumentException>(() => NotebookJson.Parse("not json"));
    }

    [Fact]
    public void Cell_kernel_follows_polyglot_precedence()
    {
        var doc = NotebookDocument.Parse(PolyglotLayout);
        Assert.Equal("markdown", doc.Cells[0].Kernel);
        Assert.Equal("csharp", doc.Cells[1].Kernel);
        Assert.Equal("a1b2c3d4", doc.Cells[1].Id);
        var fs = NotebookDocument.Create([NewCell.Code("#!fsharp\nlet x = 1"), NewCell.Code("#!csharp\nvar x = 1;")]);
        Assert.Equal("fsharp", fs.Cells[0].Kernel);
        Assert.Equal("csharp", fs.Cells[1].Kernel);
    }
}
