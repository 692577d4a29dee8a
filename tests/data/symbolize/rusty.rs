// A small Rust program for the symbolizer's demangling test: a generic
// function, a method and a trait implementation, kept out of line.
pub struct Counter {
    n: u64,
}

impl Counter {
    #[inline(never)]
    pub fn bump_by(&mut self, k: u64) -> u64 {
        self.n = self.n.wrapping_mul(6364136223846793005).wrapping_add(k);
        self.n
    }
}

pub trait Spin {
    fn spin(&self, rounds: u64) -> u64;
}

impl Spin for Counter {
    #[inline(never)]
    fn spin(&self, rounds: u64) -> u64 {
        let mut acc = self.n;
        for i in 0..rounds {
            acc = (acc ^ i).rotate_left(7);
        }
        acc
    }
}

#[inline(never)]
pub fn total<T: Copy + Into<u64>>(xs: &[T]) -> u64 {
    xs.iter().map(|&x| x.into()).fold(0, u64::wrapping_add)
}

fn main() {
    // inputs from the command line so nothing folds away
    let k = std::env::args().count() as u64;
    let mut c = Counter { n: k };
    let v: Vec<u32> = (0..(k as u32 * 100)).collect();
    let t = total(&v) + c.bump_by(3) + c.spin(k * 10);
    println!("{}", t);
}
