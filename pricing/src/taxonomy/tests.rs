//! Taxonomy tests: the default file, the generator's configurations, specificity and ties,
//! errors that name key and line, normalisation.

use gridbook_matcher::workload::{Workload, WorkloadConfig};
use gridbook_matcher::{Command, Hardware, Sym, Symbols};

use super::*;

fn hw(symbols: &mut Symbols, gpu: Option<&str>, gpus: u32, cpu: u32, mem_gib: u32) -> Hardware {
    Hardware {
        cpu,
        mem_gib,
        gpu: gpu.map(|g| symbols.intern(g)),
        gpus,
        gpu_mem_gib: if gpu.is_some() { 80 } else { 0 },
        tee: None,
        region: symbols.intern("eu-west"),
    }
}

#[test]
fn the_default_taxonomy_parses() {
    let parsed = Taxonomy::from_toml_str(DEFAULT_TOML);
    assert!(parsed.is_ok(), "{parsed:?}");
    assert_eq!(Taxonomy::default_taxonomy().len(), 13);
}

#[test]
fn every_generated_configuration_has_its_expected_class() {
    let taxonomy = Taxonomy::default_taxonomy();
    let mut seen = 0usize;
    for seed in 0..4 {
        let config =
            WorkloadConfig { seed, configs: 1024, resting: 3000, orders: 0, ..Default::default() };
        let workload = Workload::new(config);
        let symbols = workload.symbols().clone();
        for (_, command) in workload {
            let Command::Ask(ask) = command else { continue };
            seen += 1;
            let class = taxonomy.classify(&ask.hw, &symbols);
            let Some(class) = class else { panic!("{:?} has no class", ask.hw) };
            let name = &taxonomy.class(class).name;
            match ask.hw.gpu {
                Some(model) => {
                    let model = symbols.name(model).to_ascii_lowercase();
                    let model = model.replace("v100m", "v100-").replace("-16", "-16gb");
                    let model = model.replace("-32", "-32gb");
                    assert_eq!(name, &format!("gpu.{model}"), "{:?}", ask.hw);
                }
                None if ask.hw.tee.is_some() => assert_eq!(name, "cpu.tee"),
                None if ask.hw.mem_gib >= 8 * ask.hw.cpu => assert_eq!(name, "cpu.highmem"),
                None => assert_eq!(name, "cpu.standard"),
            }
        }
    }
    assert!(seen > 4000, "{seen}");
}

#[test]
fn the_more_specific_class_wins_and_ties_go_to_the_earlier() {
    let source = r#"
[[class]]
name = "any"
unit = "slot-hour"

[[class]]
name = "big"
unit = "slot-hour"
cpu_min = 32

[[class]]
name = "eu"
unit = "slot-hour"
regions = ["eu-west"]

[[class]]
name = "big-eu"
unit = "core-hour"
cpu_min = 32
regions = ["eu-west"]
"#;
    let taxonomy = Taxonomy::from_toml_str(source).unwrap();
    let mut symbols = Symbols::new();
    let small_eu = hw(&mut symbols, None, 0, 4, 16);
    let big_eu = hw(&mut symbols, None, 0, 64, 16);
    let mut big_us = big_eu;
    big_us.region = symbols.intern("us-east");
    let mut small_us = small_eu;
    small_us.region = big_us.region;
    let name =
        |h: &Hardware| taxonomy.classify(h, &symbols).map(|c| taxonomy.class(c).name.clone());
    assert_eq!(name(&small_us).as_deref(), Some("any"));
    assert_eq!(name(&small_eu).as_deref(), Some("eu"));
    assert_eq!(name(&big_us).as_deref(), Some("big"));
    assert_eq!(name(&big_eu).as_deref(), Some("big-eu"));

    // Without big-eu, "big" and "eu" tie at one key each: the earlier ("big") wins.
    let without = source.split("[[class]]\nname = \"big-eu\"").next().unwrap_or(source);
    let taxonomy = Taxonomy::from_toml_str(without).unwrap();
    let got = taxonomy.classify(&big_eu, &symbols).map(|c| taxonomy.class(c).name.clone());
    assert_eq!(got.as_deref(), Some("big"));
}

#[test]
fn unmatched_hardware_has_no_class() {
    let source = "[[class]]\nname = \"gpu\"\nunit = \"gpu-hour\"\ngpus_min = 1\n";
    let taxonomy = Taxonomy::from_toml_str(source).unwrap();
    let mut symbols = Symbols::new();
    assert_eq!(taxonomy.classify(&hw(&mut symbols, None, 0, 4, 16), &symbols), None);
}

#[test]
fn tee_rules() {
    let source = r#"
[[class]]
name = "plain"
unit = "slot-hour"
tee = "none"
[[class]]
name = "sealed"
unit = "slot-hour"
tee = "some"
[[class]]
name = "sgx"
unit = "slot-hour"
tee = "sgx"
cpu_min = 1
"#;
    let taxonomy = Taxonomy::from_toml_str(source).unwrap();
    let mut symbols = Symbols::new();
    let mut machine = hw(&mut symbols, None, 0, 4, 16);
    let name =
        |h: &Hardware, s: &Symbols| taxonomy.classify(h, s).map(|c| taxonomy.class(c).name.clone());
    assert_eq!(name(&machine, &symbols).as_deref(), Some("plain"));
    machine.tee = Some(symbols.intern("tdx"));
    assert_eq!(name(&machine, &symbols).as_deref(), Some("sealed"));
    machine.tee = Some(symbols.intern("sgx"));
    assert_eq!(name(&machine, &symbols).as_deref(), Some("sgx"));
}

#[test]
fn syntax_errors_name_the_key_and_line() {
    let source = "[[class]]\nname = \"a\"\nunit = \"gpu-hour\"\ngpus_mni = 1\n";
    let error = Taxonomy::from_toml_str(source).unwrap_err();
    let TaxonomyError::Syntax { key, line, .. } = &error else { panic!("{error:?}") };
    assert_eq!((key.as_str(), *line), ("gpus_mni", 4));
    assert!(error.to_string().contains("line 4") && error.to_string().contains("gpus_mni"));

    let source = "[[class]]\nname = \"a\"\nunit = \"furlong-hour\"\n";
    let error = Taxonomy::from_toml_str(source).unwrap_err();
    let TaxonomyError::Syntax { key, line, .. } = &error else { panic!("{error:?}") };
    assert_eq!((key.as_str(), *line), ("unit", 3));

    let source = "[[class]]\nname = \"a\"\nunit = \"slot-hour\"\ncpu_min = -1\n";
    let error = Taxonomy::from_toml_str(source).unwrap_err();
    let TaxonomyError::Syntax { key, line, .. } = &error else { panic!("{error:?}") };
    assert_eq!((key.as_str(), *line), ("cpu_min", 4));
}

#[test]
fn semantic_errors_name_the_key_and_line() {
    let source = "[[class]]\nname = \"a\"\nunit = \"slot-hour\"\n\n[[class]]\nname = \"b\"\nunit = \"slot-hour\"\ncpu_min = 8\ncpu_max = 4\n";
    let error = Taxonomy::from_toml_str(source).unwrap_err();
    assert_eq!(
        error,
        TaxonomyError::Invalid {
            entry: 1,
            key: "cpu_max".into(),
            line: 9,
            message: "maximum 4 is below the minimum 8".into()
        }
    );
    let source = "[[class]]\nname = \"a\"\nunit = \"slot-hour\"\n[[class]]\nname = \"a\"\nunit = \"gpu-hour\"\n";
    let error = Taxonomy::from_toml_str(source).unwrap_err();
    let TaxonomyError::Invalid { key, line, .. } = &error else { panic!("{error:?}") };
    assert_eq!((key.as_str(), *line), ("name", 5));
    assert_eq!(Taxonomy::from_toml_str(""), Err(TaxonomyError::Empty));
}

#[test]
fn prices_are_normalised_to_the_class_unit() {
    let taxonomy = Taxonomy::default_taxonomy();
    let mut symbols = Symbols::new();
    let a100x8 = hw(&mut symbols, Some("A100-80GB"), 8, 96, 1024);
    let class = taxonomy.classify(&a100x8, &symbols).unwrap();
    assert_eq!(taxonomy.class(class).unit, Unit::GpuHour);
    // 8 GPUs: 16.000000004 tokens per slot-hour is 2.0000000005 → 2.000000001 per GPU-hour.
    assert_eq!(taxonomy.normalise_nano(class, &a100x8, 16_000_000_004), 2_000_000_001);
    assert_eq!(taxonomy.units(class, &a100x8, 3), 24);
    let cpu = hw(&mut symbols, None, 0, 16, 64);
    let class = taxonomy.classify(&cpu, &symbols).unwrap();
    assert_eq!(taxonomy.class(class).name, "cpu.standard");
    assert_eq!(taxonomy.normalise_nano(class, &cpu, 1_600), 100);
    assert_eq!(Unit::CoreHour.units_per_slot(&Hardware { cpu: 0, ..cpu }), 1);
    let _ = Sym(0);
}
