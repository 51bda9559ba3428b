//! A dense Aho-Corasick automaton for the candidate index: every needle
//! that occurs in a haystack, overlapping ones included, in one table
//! lookup per byte.
//!
//! Two things set it apart from the general `aho-corasick` searcher the
//! index falls back to for very large needle sets: it can fold ASCII case
//! in its byte classes (so a value with capitals is walked as it is, not
//! copied and lowercased first), and a state that completes needles is told
//! apart from the others by one comparison (match states are numbered
//! last).

/// Transition tables past this many entries (4 bytes each) are not built:
/// the caller uses the general searcher instead.
const MAX_ENTRIES: usize = 1 << 21;

#[derive(Debug)]
pub(crate) struct Dfa {
    /// Byte to byte class; bytes no needle holds share class 0.
    classes: [u8; 256],
    /// `table[state + class]` is the next state; states are premultiplied
    /// by the number of classes.
    table: Box<[u32]>,
    /// States from this one on complete at least one needle.
    first_match: u32,
    /// Per match state (`(state - first_match) >> shift`): the needles it
    /// completes.
    outputs: Vec<Box<[u32]>>,
    /// log2 of the row length (the number of classes rounded up to a power
    /// of two, so a state's row is found by a shift).
    shift: u32,
}

impl Dfa {
    /// The automaton of `needles` (their indices are what a scan reports).
    /// With `fold_ascii`, an ASCII capital in the haystack is read as its
    /// small letter; a needle holding an ASCII capital then never matches
    /// (as with a haystack lowercased before the search). `None` when the
    /// table would be too large.
    pub(crate) fn new<T: AsRef<[u8]>>(needles: &[T], fold_ascii: bool) -> Option<Dfa> {
        let mut classes = [0u8; 256];
        let mut used = [false; 256];
        for n in needles {
            for &b in n.as_ref() {
                used[usize::from(b)] = true;
            }
        }
        let mut count = 1usize;
        for b in 0..=255u8 {
            if !used[usize::from(b)] || (fold_ascii && b.is_ascii_uppercase()) {
                continue;
            }
            if count > usize::from(u8::MAX) {
                return None;
            }
            classes[usize::from(b)] = count as u8;
            count += 1;
        }
        let stride = count.next_power_of_two();
        if fold_ascii {
            for b in b'A'..=b'Z' {
                classes[usize::from(b)] = classes[usize::from(b.to_ascii_lowercase())];
            }
        }

        // The trie: `next` holds u32::MAX where there is no edge.
        const NONE: u32 = u32::MAX;
        let mut next: Vec<u32> = vec![NONE; stride];
        let mut outs: Vec<Vec<u32>> = vec![Vec::new()];
        for (id, n) in needles.iter().enumerate() {
            let bytes = n.as_ref();
            if bytes.is_empty() || (fold_ascii && bytes.iter().any(u8::is_ascii_uppercase)) {
                continue;
            }
            let mut s = 0usize;
            for &b in bytes {
                let c = usize::from(classes[usize::from(b)]);
                if next[s * stride + c] == NONE {
                    if (outs.len() + 1) * stride > MAX_ENTRIES {
                        return None;
                    }
                    next[s * stride + c] = outs.len() as u32;
                    next.extend(std::iter::repeat_n(NONE, stride));
                    outs.push(Vec::new());
                }
                s = next[s * stride + c] as usize;
            }
            outs[s].push(id as u32);
        }

        // Failure links in breadth-first order, turned into full
        // transitions: a missing edge goes where the failure state's does.
        let states = outs.len();
        let mut fail = vec![0u32; states];
        let mut queue = std::collections::VecDeque::new();
        for edge in &mut next[..stride] {
            match *edge {
                NONE => *edge = 0,
                child => queue.push_back(child as usize),
            }
        }
        while let Some(s) = queue.pop_front() {
            let f = fail[s] as usize;
            if !outs[f].is_empty() {
                let inherited = outs[f].clone();
                outs[s].extend(inherited);
            }
            for c in 0..stride {
                let via_fail = next[f * stride + c];
                match next[s * stride + c] {
                    NONE => next[s * stride + c] = via_fail,
                    child => {
                        fail[child as usize] = via_fail;
                        queue.push_back(child as usize);
                    }
                }
            }
        }

        // Number the match states last, then premultiply.
        let mut order: Vec<usize> = (0..states).filter(|&s| outs[s].is_empty()).collect();
        let first_match = order.len();
        order.extend((0..states).filter(|&s| !outs[s].is_empty()));
        let mut new_id = vec![0u32; states];
        for (new, &old) in order.iter().enumerate() {
            new_id[old] = (new * stride) as u32;
        }
        // A power-of-two length lets the walk mask its index instead of
        // checking it (the padding is never reached).
        let mut table = vec![0u32; (states * stride).next_power_of_two()];
        for (new, &old) in order.iter().enumerate() {
            for c in 0..stride {
                table[new * stride + c] = new_id[next[old * stride + c] as usize];
            }
        }
        // The start state is the root, state 0, which has no outputs (no
        // needle is empty) and so keeps number 0.
        debug_assert_eq!(new_id[0], 0);
        let outputs = order[first_match..]
            .iter()
            .map(|&old| std::mem::take(&mut outs[old]).into_boxed_slice())
            .collect();
        Some(Dfa {
            classes,
            table: table.into_boxed_slice(),
            first_match: (first_match * stride) as u32,
            outputs,
            shift: stride.trailing_zeros(),
        })
    }

    /// Calls `found` with the index of every needle occurrence in `hay`
    /// (a needle occurring twice is reported twice).
    pub(crate) fn scan(&self, hay: &[u8], mut found: impl FnMut(u32)) {
        let (mut at, mut s) = (0, 0);
        while let Some((next, state)) = self.walk(hay, at, s) {
            let out = &self.outputs[((state - self.first_match) >> self.shift) as usize];
            out.iter().for_each(|&id| found(id));
            (at, s) = (next, state);
        }
    }

    /// Walks `hay` from `at` in state `s` up to the next match state: the
    /// position after the byte that reached it, and the state. Kept apart
    /// from the reporting so the loop holds its few values in registers.
    #[inline(never)]
    fn walk(&self, hay: &[u8], at: usize, mut s: u32) -> Option<(usize, u32)> {
        let mask = self.table.len() - 1;
        let table = &self.table[..=mask];
        let step =
            |s: u32, b: u8| table[(s + u32::from(self.classes[usize::from(b)])) as usize & mask];
        let rest = hay.get(at..)?;
        // Four bytes a turn: one end test for all.
        let mut quads = rest.chunks_exact(4);
        for (i, quad) in quads.by_ref().enumerate() {
            for (j, &b) in quad.iter().enumerate() {
                s = step(s, b);
                if s >= self.first_match {
                    return Some((at + 4 * i + j + 1, s));
                }
            }
        }
        let tail = quads.remainder();
        for (j, &b) in tail.iter().enumerate() {
            s = step(s, b);
            if s >= self.first_match {
                return Some((hay.len() - tail.len() + j + 1, s));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::Rng;

    /// Needle indices found in `hay`, the slow way.
    fn naive(needles: &[&str], hay: &str, fold: bool) -> Vec<u32> {
        let hay = if fold {
            hay.to_ascii_lowercase()
        } else {
            hay.to_owned()
        };
        let mut out: Vec<u32> = needles
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.is_empty() && hay.contains(**n))
            .map(|(i, _)| i as u32)
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn finds_what_a_plain_search_finds() {
        let mut rng = Rng::new(11);
        let alphabet = ["a", "b", "A", "B", "ab", "é", "\u{0}", "/", "=", "%"];
        let word = |rng: &mut Rng, len: usize| -> String {
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        };
        for round in 0..2_000 {
            let fold = round % 2 == 0;
            let needles: Vec<String> = (0..1 + rng.below(12))
                .map(|_| {
                    let len = rng.below(5);
                    word(&mut rng, len)
                })
                .collect();
            let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
            let dfa = Dfa::new(&refs, fold).expect("small");
            for _ in 0..20 {
                let len = rng.below(30);
                let hay = word(&mut rng, len);
                let mut got = Vec::new();
                dfa.scan(hay.as_bytes(), |id| got.push(id));
                got.sort_unstable();
                got.dedup();
                let want = naive(&refs, &hay, fold);
                // A folded automaton leaves out needles with capitals: they
                // never occur in a lowercased haystack.
                let want: Vec<u32> = want
                    .into_iter()
                    .filter(|&i| !fold || !refs[i as usize].bytes().any(|b| b.is_ascii_uppercase()))
                    .collect();
                assert_eq!(got, want, "{refs:?} in {hay:?}, fold {fold}");
            }
        }
    }

    #[test]
    fn overlapping_and_repeated_needles_are_all_reported() {
        let dfa = Dfa::new(&["he", "she", "hers", "e"], false).expect("small");
        let mut got = Vec::new();
        dfa.scan(b"ushers", |id| got.push(id));
        got.sort_unstable();
        assert_eq!(got, vec![0, 1, 2, 3]);
        let mut twice = Vec::new();
        dfa.scan(b"hehe", |id| twice.push(id));
        assert_eq!(twice, vec![0, 3, 0, 3]);
    }

    #[test]
    fn too_large_a_table_is_refused() {
        let needles: Vec<String> = (0..200_000).map(|i| format!("{i:x}-{}", i * 7)).collect();
        assert!(Dfa::new(&needles, false).is_none());
    }
}
