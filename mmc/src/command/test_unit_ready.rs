use super::{Command, Opcode, RetryPolicy, Transfer};
use crate::ParseError;

/// TEST UNIT READY (00h), SPC-5 §6.47: GOOD when a medium is ready, otherwise NOT READY sense
/// (3A/xx no medium, 04/xx becoming ready or busy with a long operation).
#[doc(alias = "TEST UNIT READY")]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestUnitReady;

impl Command for TestUnitReady {
    const NAME: &'static str = "TEST UNIT READY";
    type Cdb = [u8; 6];
    type Response = ();

    fn cdb(&self) -> [u8; 6] {
        [Opcode::TEST_UNIT_READY.0, 0, 0, 0, 0, 0]
    }

    fn data_phase(&self) -> Transfer<'_> {
        Transfer::None
    }

    fn parse(&self, _data: &[u8]) -> Result<(), ParseError> {
        Ok(())
    }

    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::NoWait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdb() {
        // docs/qemu-notes.md §2: TEST UNIT READY  CDB: 00 00 00 00 00 00
        assert_eq!(TestUnitReady.cdb(), [0; 6]);
        assert_eq!(TestUnitReady.data_phase(), Transfer::None);
        assert_eq!(TestUnitReady.parse(&[1, 2, 3]), Ok(()));
    }
}
