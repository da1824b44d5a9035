using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ResearchKit.Notebooks.Documents;

namespace ResearchKit.Notebooks.Running;

/// <summary>
/// Papermill-style parameters: the cell tagged <c>parameters</c> declares them with defaults; a run inserts after it a cell
/// tagged <c>injected-parameters</c> that assigns the overrides. Values arrive as command-line text and become C# literals of
/// each parameter's declared type (string, bool, integral and floating types, or <c>var</c> with a literal initializer);
/// for any other type the text is used as a C# expression (e.g. <c>Mode.Fast</c>, <c>new[] { 1, 2 }</c>).
/// </summary>
public static class ParameterInjection
{
    /// <summary>The tag of the cell that declares the parameters.</summary>
    public const string ParametersTag = "parameters";

    /// <summary>The tag of the cell the runner inserts.</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>The C# of the injected cell.</summary>
    /// <exception cref="ArgumentException">A parameter is not declared in the parameters cell, or its value does not fit the type.</exception>
    public static string BuildSource(string parametersCellSource, IReadOnlyDictionary<string, string> values)
    {
        var declared = Declarations(parametersCellSource);
        var sb = new StringBuilder("// Parameters injected by `researchkit notebook run`.\n");
        foreach (var (name, text) in values)
        {
            if (!declared.TryGetValue(name, out var decl))
                throw new ArgumentException(
                    $"parameter '{name}' is not declared in the cell tagged '{ParametersTag}' (declared: {string.Join(", ", declared.Keys.Order())})",
                    nameof(values));
            sb.Append(name).Append(" = ").Append(Literal(name, decl.Type, decl.Initializer, text)).Append(";\n");
        }
        return sb.ToString().TrimEnd('\n');
    }

    /// <summary>The names the cell tagged <c>parameters</c> of <paramref name="notebook"/> declares; empty when it has no such cell.</summary>
    public static IReadOnlySet<string> DeclaredNames(NotebookDocument notebook)
    {
        ArgumentNullException.ThrowIfNull(notebook);
        var cell = notebook.Cells.FirstOrDefault(c => c.IsCode && c.Tags.Contains(ParametersTag));
        return cell is null ? new HashSet<string>() : Declarations(cell.Source).Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Top-level variables of a script cell: name → (type, initializer).</summary>
    internal static Dictionary<string, (TypeSyntax Type, ExpressionSyntax? Initializer)> Declarations(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var root = (CompilationUnitSyntax)tree.GetRoot();
        var result = new Dictionary<string, (TypeSyntax, ExpressionSyntax?)>(StringComparer.Ordinal);
        foreach (var member in root.Members)
        {
            var declaration = member switch
            {
                FieldDeclarationSyntax f => f.Declaration,
                GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax l } => l.Declaration,
                _ => null,
            };
            if (declaration is null) continue;
            foreach (var v in declaration.Variables) result[v.Identifier.ValueText] = (declaration.Type, v.Initializer?.Value);
        }
        return result;
    }

    private static string Literal(string name, TypeSyntax type, ExpressionSyntax? initializer, string text)
    {
        var typeName = type.ToString().Replace(" ", "").TrimEnd('?');
        if (typeName == "var") typeName = InferFromLiteral(initializer) ?? "";
        try
        {
            return typeName switch
            {
                "string" or "String" or "System.String" => SymbolDisplay.FormatLiteral(text, quote: true),
                "bool" or "Boolean" or "System.Boolean" => bool.Parse(text.Trim()) ? "true" : "false",
                "int" or "Int32" or "System.Int32" => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
                "long" or "Int64" or "System.Int64" => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + "L",
                "double" or "Double" or "System.Double" => Real(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), "d"),
                "float" or "Single" or "System.Single" => Real(float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), "f"),
                "decimal" or "Decimal" or "System.Decimal" => decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) + "m",
                _ => text, // an enum, array or other expression: the text is C#
            };
        }
        catch (FormatException)
        {
            throw new ArgumentException($"parameter '{name}' is declared as {type} but got '{text}'", nameof(text));
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"parameter '{name}' is declared as {type} but '{text}' is out of range", nameof(text));
        }
    }

    private static string Real(double v, string suffix)
    {
        if (double.IsNaN(v) || double.IsInfinity(v)) throw new FormatException();
        return v.ToString("R", CultureInfo.InvariantCulture) + suffix;
    }

    private static string? InferFromLiteral(ExpressionSyntax? e)
    {
        if (e is PrefixUnaryExpressionSyntax { OperatorToken.RawKind: (int)SyntaxKind.MinusToken } neg) e = neg.Operand;
        if (e is not LiteralExpressionSyntax lit) return null;
        return lit.Kind() switch
        {
            SyntaxKind.StringLiteralExpression => "string",
            SyntaxKind.TrueLiteralExpression or SyntaxKind.FalseLiteralExpression => "bool",
            SyntaxKind.NumericLiteralExpression => lit.Token.Value switch
            {
                int => "int",
                long => "long",
                double => "double",
                float => "float",
                decimal => "decimal",
                _ => null,
            },
            _ => null,
        };
    }
}
