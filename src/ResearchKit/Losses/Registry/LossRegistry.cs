using System.Reflection;

namespace ResearchKit.Losses;

/// <summary>
/// Name → <see cref="LossEntry"/>, in the style of timm's model registry and the kit's backbone registry. The default
/// registry collects every static <see cref="LossEntry"/> marked <see cref="RegisteredLossAttribute"/> in the core
/// assembly, so each loss registers itself from its own file; <see cref="Register"/> adds losses defined elsewhere.
/// </summary>
public sealed class LossRegistry
{
    private readonly Dictionary<string, LossEntry> byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, LossEntry> byOptions = [];
    private readonly Lock gate = new();

    /// <summary>The shared registry with the kit's losses.</summary>
    public static LossRegistry Default { get; } = CreateDefault();

    /// <summary>A new registry holding the losses registered in the core assembly.</summary>
    public static LossRegistry CreateDefault()
    {
        var registry = new LossRegistry();
        registry.Discover(typeof(LossRegistry).Assembly);
        return registry;
    }

    /// <summary>Registers every static <see cref="LossEntry"/> marked <see cref="RegisteredLossAttribute"/> in <paramref name="assembly"/>.</summary>
    public void Discover(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        const BindingFlags Static = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetTypes())
        {
            var members = type.GetFields(Static).Cast<MemberInfo>().Concat(type.GetProperties(Static));
            foreach (var member in members.Where(m => m.IsDefined(typeof(RegisteredLossAttribute))))
            {
                var value = member switch
                {
                    FieldInfo f => f.GetValue(null),
                    PropertyInfo p => p.GetValue(null),
                    _ => null,
                };
                Register(value as LossEntry ?? throw new InvalidOperationException(
                    $"{type.FullName}.{member.Name} is marked [RegisteredLoss] but holds no LossEntry."));
            }
        }
    }

    /// <summary>Registered entries, by name.</summary>
    public IReadOnlyList<LossEntry> Entries
    {
        get { lock (gate) return byName.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray(); }
    }

    /// <summary>Registered names, sorted.</summary>
    public IReadOnlyList<string> Names => Entries.Select(e => e.Name).ToArray();

    /// <summary>Adds a loss.</summary>
    /// <exception cref="ArgumentException">Its name or options type is already registered.</exception>
    public void Register(LossEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (gate)
        {
            if (byName.ContainsKey(entry.Name))
                throw new ArgumentException($"Loss '{entry.Name}' is already registered.", nameof(entry));
            if (byOptions.TryGetValue(entry.OptionsType, out var other))
                throw new ArgumentException($"Options type {entry.OptionsType.Name} already belongs to the loss '{other.Name}'.", nameof(entry));
            byName.Add(entry.Name, entry);
            byOptions.Add(entry.OptionsType, entry);
        }
    }

    /// <summary>The entry called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the registered ones.</exception>
    public LossEntry Get(string name)
    {
        lock (gate)
        {
            if (name is not null && byName.TryGetValue(name, out var e)) return e;
        }
        throw new ArgumentException($"Unknown loss '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>The entry whose options type is <paramref name="options"/>'s.</summary>
    /// <exception cref="ArgumentException">No registered loss takes these options.</exception>
    public LossEntry For(LossOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (gate)
        {
            if (byOptions.TryGetValue(options.GetType(), out var e)) return e;
        }
        throw new ArgumentException($"No registered loss takes {options.GetType().Name}; registered: {string.Join(", ", Names)}.", nameof(options));
    }
}
