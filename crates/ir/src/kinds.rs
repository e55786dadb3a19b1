//! Kind inference: every binding gets a kind (channel, mutex, int, ...) by
//! unification over its uses, so that `send mu` is an error that names both.

/// A kind constructor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Con {
    Unit,
    Bool,
    Int,
    Atom,
    Result,
    Chan,
    Mutex,
    RwMutex,
    Cond,
    Once,
    WaitGroup,
    Group,
    Ctx,
    Ticker,
    Timer,
    Task,
    Array,
    Func,
    /// A struct type, by its index; its arguments are its fields' kinds.
    Struct(u16),
    /// A map; its arguments are the key's and the value's kinds.
    Map,
    /// A list; its argument is the elements' kind.
    List,
}

impl Con {
    /// The kind as a noun with its article, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Con::Unit => "a unit value",
            Con::Bool => "a bool",
            Con::Int => "an int",
            Con::Atom => "an atom",
            Con::Result => "a result (`ok`/`err`)",
            Con::Chan => "a channel",
            Con::Mutex => "a mutex",
            Con::RwMutex => "an rwmutex",
            Con::Cond => "a cond",
            Con::Once => "a once",
            Con::WaitGroup => "a waitgroup",
            Con::Group => "a group",
            Con::Ctx => "a context",
            Con::Ticker => "a ticker",
            Con::Timer => "a timer",
            Con::Task => "a task handle",
            Con::Array => "an array",
            Con::Func => "a function",
            Con::Struct(_) => "a struct value",
            Con::Map => "a map",
            Con::List => "a list",
        }
    }

    /// The kind's name in type annotations.
    pub fn from_name(name: &str) -> Option<Con> {
        match name {
            "context" => Some(Con::Ctx),
            _ => ANNOTATED.iter().find(|(n, _)| *n == name).map(|&(_, c)| c),
        }
    }

    /// The name that annotates the kind (`chan`), if one does.
    pub fn name(self) -> Option<&'static str> {
        ANNOTATED.iter().find(|(_, c)| *c == self).map(|&(n, _)| n)
    }
}

/// The kinds a type annotation names, by name.
const ANNOTATED: [(&str, Con); 17] = [
    ("bool", Con::Bool),
    ("int", Con::Int),
    ("atom", Con::Atom),
    ("result", Con::Result),
    ("chan", Con::Chan),
    ("mutex", Con::Mutex),
    ("rwmutex", Con::RwMutex),
    ("cond", Con::Cond),
    ("once", Con::Once),
    ("waitgroup", Con::WaitGroup),
    ("group", Con::Group),
    ("ctx", Con::Ctx),
    ("ticker", Con::Ticker),
    ("timer", Con::Timer),
    ("task", Con::Task),
    ("map", Con::Map),
    ("list", Con::List),
];

/// A kind variable.
pub type Ty = u32;

#[derive(Clone, Debug)]
enum Node {
    Link(Ty),
    Unknown,
    Known(Con, Vec<Ty>),
}

/// A union-find table of kinds.
#[derive(Default, Debug)]
pub struct Kinds {
    nodes: Vec<Node>,
}

impl Kinds {
    /// A fresh unknown kind.
    pub fn fresh(&mut self) -> Ty {
        self.nodes.push(Node::Unknown);
        self.nodes.len() as Ty - 1
    }

    /// A known kind with arguments (channel element, array element, function signature).
    pub fn con(&mut self, con: Con, args: Vec<Ty>) -> Ty {
        self.nodes.push(Node::Known(con, args));
        self.nodes.len() as Ty - 1
    }

    /// A known kind whose arguments are fresh.
    pub fn simple(&mut self, con: Con) -> Ty {
        let args = match con {
            Con::Chan | Con::Array | Con::List => vec![self.fresh()],
            Con::Map => vec![self.fresh(), self.fresh()],
            _ => vec![],
        };
        self.con(con, args)
    }

    /// The representative of `t`.
    pub fn find(&mut self, t: Ty) -> Ty {
        let mut r = t;
        while let Node::Link(n) = self.nodes[r as usize] {
            r = n;
        }
        let mut c = t;
        while let Node::Link(n) = self.nodes[c as usize] {
            self.nodes[c as usize] = Node::Link(r);
            c = n;
        }
        r
    }

    /// What `t` is, if known yet.
    pub fn head(&mut self, t: Ty) -> Option<(Con, Vec<Ty>)> {
        let r = self.find(t);
        match &self.nodes[r as usize] {
            Node::Known(c, a) => Some((*c, a.clone())),
            _ => None,
        }
    }

    /// The constructor of `t`, if known yet.
    pub fn con_of(&mut self, t: Ty) -> Option<Con> {
        self.head(t).map(|(c, _)| c)
    }

    /// Makes `a` and `b` the same kind, or returns the clashing pair.
    pub fn unify(&mut self, a: Ty, b: Ty) -> Result<(), (Con, Con)> {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return Ok(());
        }
        match (self.nodes[ra as usize].clone(), self.nodes[rb as usize].clone()) {
            (Node::Unknown, _) => {
                self.nodes[ra as usize] = Node::Link(rb);
                Ok(())
            }
            (_, Node::Unknown) => {
                self.nodes[rb as usize] = Node::Link(ra);
                Ok(())
            }
            (Node::Known(ca, aa), Node::Known(cb, ab)) => {
                if ca != cb || aa.len() != ab.len() {
                    return Err((ca, cb));
                }
                self.nodes[ra as usize] = Node::Link(rb);
                for (x, y) in aa.into_iter().zip(ab) {
                    self.unify(x, y)?;
                }
                Ok(())
            }
            (Node::Link(_), _) | (_, Node::Link(_)) => unreachable!("find returns roots"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unifies_through_channel_elements() {
        let mut k = Kinds::default();
        let a = k.simple(Con::Chan);
        let b = k.simple(Con::Chan);
        k.unify(a, b).unwrap();
        let (_, args) = k.head(a).unwrap();
        let int = k.simple(Con::Int);
        k.unify(args[0], int).unwrap();
        let (_, args_b) = k.head(b).unwrap();
        assert_eq!(k.con_of(args_b[0]), Some(Con::Int));
        let m = k.simple(Con::Mutex);
        assert_eq!(k.unify(a, m), Err((Con::Chan, Con::Mutex)));
    }
}
