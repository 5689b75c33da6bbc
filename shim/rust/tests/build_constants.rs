//! build.rs keeps its own copy of the C ABI version it accepts (a published crate's build script
//! cannot read src/ffi.rs): it must be the one the declarations mirror.

#[test]
fn build_script_accepts_the_abi_version_the_declarations_mirror() {
    let expected: u32 = env!("ZCSHIM_EXPECTED_ABI").parse().unwrap();
    assert_eq!(
        expected,
        zcshim::ffi::ZC_ABI_VERSION,
        "build.rs EXPECTED_ABI and src/ffi.rs ZC_ABI_VERSION differ"
    );
}
