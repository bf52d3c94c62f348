//! From a tree to a `Layout` with every LBA fixed, and from a `Layout` to bytes.
//!
//! Directory sectors are not kept between planning and writing: the same deterministic
//! function produces them twice, first to measure and then to write, and the writer checks
//! that the second run fills exactly what the first one measured.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::io::Write;

use super::names::{iso_identifiers, iso_order, joliet_identifiers, joliet_order, Idents};
use super::rock_ridge::{spread, CeCursor, Entries};
use super::sink::Sink;
use super::tree::{FileData, Kind, Node, NodeId, Tree, ROOT, S_IFMT, S_IFREG};
use super::{Options, Ownership, Warning};
use crate::error::{Error, FileStamp, Result};
use crate::raw::checksum::{self, ChecksumArea, Digest, Tag, TagKind, CA_NAME, CX_NAME, ENTRY_LEN};
use crate::raw::date::{encode_short, UnixTime};
use crate::raw::descriptor::{encode_terminator, DescriptorType, VolumeDescriptor};
use crate::raw::path_table::{self, Endian};
use crate::raw::record::{DirRecord, FileFlags, ID_PARENT, ID_SELF, MAX_RECORD_LEN, MAX_SECTION};
use crate::raw::{sectors_for, Lba, FIRST_DESCRIPTOR_LBA, SECTOR_BYTES, SECTOR_SIZE};
use crate::read::Extent;

/// Sectors of one section of a multi-extent file.
const SECTION_SECTORS: u32 = MAX_SECTION / SECTOR_SIZE as u32;

#[derive(Debug, Clone, Default)]
struct NodeInfo {
    serial: u32,
    nlink: u32,
    /// First data LBA of a regular file written in this session (0 for empty files).
    lba: u32,
    /// 1-based index into the ISO / Joliet directory plans (0: not a directory there).
    iso_dir: u32,
    joliet_dir: u32,
    /// Index into the checksum array (`isofs.cx`), 0 for none.
    md5_index: u32,
}

/// Where the checksum records go (see [`crate::raw::checksum`]).
#[derive(Debug, Clone, Copy, Default)]
struct Md5Plan {
    superblock_tag: u32,
    tree_tag: u32,
    array: u32,
    session_tag: u32,
    /// Array entries: the files' indices plus the session entry and the array's own.
    count: u32,
}

impl Md5Plan {
    fn area(&self, start: u32) -> ChecksumArea {
        ChecksumArea {
            start,
            end: self.array,
            count: self.count,
            entry_size: ENTRY_LEN as u32,
        }
    }
}

#[derive(Debug)]
struct DirPlan {
    node: NodeId,
    /// Index of the parent's plan (the root is its own parent).
    parent: usize,
    /// Identifier as recorded: d-characters, or UCS-2BE for Joliet; `[0]` for the root.
    ident: Vec<u8>,
    /// The children, in POSIX-name order (the order they were named in).
    kids: Vec<NodeId>,
    /// Their recorded identifiers, in the same order.
    idents: Idents,
    /// Directory-record order: indices into `kids` and `idents`.
    order: Vec<u32>,
    lba: u32,
    sectors: u32,
    ce_lba: u32,
    ce_sectors: u32,
}

#[derive(Debug)]
struct Namespace {
    joliet: bool,
    dirs: Vec<DirPlan>,
    pt_size: u32,
    pt_l: u32,
    pt_m: u32,
}

impl Namespace {
    fn pt_sectors(&self) -> u32 {
        sectors_for(u64::from(self.pt_size)) as u32
    }
}

/// What `write_to` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteSummary {
    /// Sectors written (equals [`Layout::sectors`]).
    pub sectors: u32,
    /// Source files copied.
    pub files: u64,
    /// Bytes of file data copied (not counting padding).
    pub data_bytes: u64,
    /// The session's MD5 as recorded in its checksum tag ([`Options::md5`]).
    pub session_md5: Option<Digest>,
}

/// A planned image: every LBA and the total size are fixed. Produced by
/// [`ImageBuilder::plan`](super::ImageBuilder::plan); written by [`Layout::write_to`].
#[derive(Debug)]
pub struct Layout {
    opts: Options,
    tree: Tree,
    start: u32,
    end: u32,
    now: UnixTime,
    info: Vec<NodeInfo>,
    iso: Namespace,
    joliet: Option<Namespace>,
    /// Regular files whose bytes this session writes, in LBA order.
    data: Vec<NodeId>,
    data_bytes: u64,
    md5: Option<Md5Plan>,
    /// Checksum array entries copied from an earlier session: (index here, index into
    /// [`Tree::carried_md5`]).
    carried: Vec<(u32, u32)>,
    imported_without_md5: u64,
}

impl Layout {
    pub(crate) fn plan(opts: Options, tree: Tree, start: u32) -> Result<Layout> {
        let now = opts.source_date_epoch.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
        let mut layout = Layout {
            info: vec![NodeInfo::default(); tree.nodes.len()],
            iso: Namespace {
                joliet: false,
                dirs: Vec::new(),
                pt_size: 0,
                pt_l: 0,
                pt_m: 0,
            },
            joliet: None,
            opts,
            tree,
            start,
            end: start,
            now,
            data: Vec::new(),
            data_bytes: 0,
            md5: None,
            carried: Vec::new(),
            imported_without_md5: 0,
        };
        let order = layout.preorder();
        layout.number_nodes(&order);
        if layout.opts.md5 {
            layout.number_md5(&order);
        }
        layout.iso = layout.namespace(false)?;
        if layout.opts.joliet {
            layout.joliet = Some(layout.namespace(true)?);
        }
        layout.measure()?;
        layout.assign(&order)?;
        Ok(layout)
    }

    /// Number of sectors this session writes: what `--print-size` reports.
    pub fn sectors(&self) -> u32 {
        self.end - self.start
    }

    /// Bytes `write_to` will write: `sectors() * 2048`.
    pub fn size_bytes(&self) -> u64 {
        u64::from(self.sectors()) * SECTOR_BYTES
    }

    /// First LBA of this session (0 for a single-session image).
    pub fn start_lba(&self) -> Lba {
        Lba(self.start)
    }

    /// LBA after the last sector of this session: the volume space size recorded in the PVD.
    pub fn end_lba(&self) -> Lba {
        Lba(self.end)
    }

    /// Things skipped or changed while planning.
    pub fn warnings(&self) -> &[Warning] {
        &self.tree.warnings
    }

    /// Number of source files `write_to` will read.
    pub fn files_to_copy(&self) -> usize {
        self.data.len()
    }

    fn node(&self, id: NodeId) -> Result<&Node> {
        self.tree.node(id).ok_or(Error::LayoutMismatch {
            what: "node id",
            planned: self.tree.nodes.len() as u64,
            actual: u64::from(id),
        })
    }

    fn info(&self, id: NodeId) -> NodeInfo {
        self.info.get(id as usize).cloned().unwrap_or_default()
    }

    fn info_mut(&mut self, id: NodeId) -> Option<&mut NodeInfo> {
        self.info.get_mut(id as usize)
    }

    /// Reachable nodes, parents before children, siblings in POSIX-name order.
    fn preorder(&self) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![ROOT];
        while let Some(id) = stack.pop() {
            out.push(id);
            if let Some(n) = self.tree.node(id) {
                stack.extend(n.children().iter().rev());
            }
        }
        out
    }

    /// Serial numbers (PX) in tree order; hard links share the first link's number.
    fn number_nodes(&mut self, order: &[NodeId]) {
        let mut links: HashMap<(u64, u64), u32> = HashMap::new();
        let mut link_count: HashMap<u32, u32> = HashMap::new();
        let mut next = 1u32;
        for &id in order {
            let Some(node) = self.tree.node(id) else {
                continue;
            };
            let key = match &node.kind {
                Kind::File(FileData::Disk { link: Some(k), .. }) => Some(**k),
                Kind::File(FileData::Imported { size, extents, .. }) if *size > 0 => {
                    extents.first().map(|e| (u64::MAX, u64::from(e.lba)))
                }
                _ => None,
            };
            let nlink = match &node.kind {
                Kind::Dir { .. } => {
                    2 + node
                        .children()
                        .iter()
                        .filter(|&&c| self.tree.node(c).is_some_and(Node::is_dir))
                        .count() as u32
                }
                _ => 1,
            };
            let serial = match key {
                Some(k) => *links.entry(k).or_insert_with(|| {
                    next += 1;
                    next - 1
                }),
                None => {
                    next += 1;
                    next - 1
                }
            };
            if key.is_some() {
                *link_count.entry(serial).or_insert(0) += 1;
            }
            if let Some(i) = self.info_mut(id) {
                i.serial = serial;
                i.nlink = nlink;
            }
        }
        for &id in order {
            let serial = self.info(id).serial;
            if let Some(&n) = link_count.get(&serial) {
                if let Some(i) = self.info_mut(id) {
                    i.nlink = n;
                }
            }
        }
    }

    /// Checksum array indices: one per file content, in tree order (entry 0 is the
    /// session's); hard links share their first link's index. Files imported from an earlier
    /// session are not read again: those whose session recorded an MD5 get an index holding
    /// that MD5 ([`Layout::carried`]), the others none.
    fn number_md5(&mut self, order: &[NodeId]) {
        let mut links: HashMap<(u64, u64), u32> = HashMap::new();
        let mut next = 1u32;
        for &id in order {
            let Some(Kind::File(data)) = self.tree.node(id).map(|n| &n.kind) else {
                continue;
            };
            let (key, carried) = match data {
                FileData::Disk { link, .. } => (link.as_deref().copied(), None),
                FileData::Imported {
                    md5: Some(m),
                    size,
                    extents,
                } => {
                    // Imported hard links share their extent (as serial numbers do).
                    let key = extents
                        .first()
                        .filter(|_| *size > 0)
                        .map(|e| (u64::MAX, u64::from(e.lba)));
                    (key, Some(*m))
                }
                FileData::Imported { md5: None, .. } => {
                    self.imported_without_md5 += 1;
                    continue;
                }
            };
            let mut fresh = false;
            let index = match key {
                Some(k) => *links.entry(k).or_insert_with(|| {
                    fresh = true;
                    next += 1;
                    next - 1
                }),
                None => {
                    fresh = true;
                    next += 1;
                    next - 1
                }
            };
            if let (true, Some(m)) = (fresh, carried) {
                self.carried.push((index, m));
            }
            if let Some(i) = self.info_mut(id) {
                i.md5_index = index;
            }
        }
        self.md5 = Some(Md5Plan {
            count: next + 1,
            ..Md5Plan::default()
        });
    }

    /// Files kept from an earlier session whose MD5 this session records (copied from that
    /// session's checksum array), and those that have none (their session recorded none).
    /// Both are 0 without [`Options::md5`].
    pub fn carried_md5s(&self) -> (u64, u64) {
        (self.carried.len() as u64, self.imported_without_md5)
    }

    /// Directory plans in path-table order (breadth first, siblings in identifier order).
    fn namespace(&mut self, joliet: bool) -> Result<Namespace> {
        let mut dirs: Vec<DirPlan> = Vec::new();
        let mut queue: VecDeque<(NodeId, usize, Vec<u8>)> = VecDeque::from([(ROOT, 0, vec![0])]);
        while let Some((id, parent, ident)) = queue.pop_front() {
            let node = self.node(id)?;
            // Joliet has no symlinks or special files (as libisofs does).
            let kids: Vec<NodeId> = node
                .children()
                .iter()
                .copied()
                .filter(|&c| {
                    self.tree.node(c).is_some_and(|n| {
                        !joliet || matches!(n.kind, Kind::Dir { .. } | Kind::File(_))
                    })
                })
                .collect();
            let tree = &self.tree;
            let named = kids.iter().map(|&c| {
                tree.node(c)
                    .map_or((&[][..], false), |n| (&n.name[..], n.is_dir()))
            });
            let mut order: Vec<u32> = (0..kids.len() as u32).collect();
            let idents = if joliet {
                let ids = joliet_identifiers(named);
                order.sort_by(|&a, &b| joliet_order(ids.get(a as usize), ids.get(b as usize)));
                Idents::Joliet(ids)
            } else {
                let ids = iso_identifiers(named);
                order.sort_by(|&a, &b| iso_order(ids.get(a as usize), ids.get(b as usize)));
                Idents::Iso(ids)
            };
            let index = dirs.len();
            let mut scratch = Vec::new();
            for &i in &order {
                let Some(&child) = kids.get(i as usize) else {
                    continue;
                };
                if self.tree.node(child).is_some_and(Node::is_dir) {
                    let ident = idents.bytes(i as usize, &mut scratch).to_vec();
                    queue.push_back((child, index, ident));
                }
            }
            if let Some(i) = self.info_mut(id) {
                if joliet {
                    i.joliet_dir = index as u32 + 1;
                } else {
                    i.iso_dir = index as u32 + 1;
                }
            }
            dirs.push(DirPlan {
                node: id,
                parent,
                ident,
                kids,
                idents,
                order,
                lba: 0,
                sectors: 0,
                ce_lba: 0,
                ce_sectors: 0,
            });
        }
        if dirs.len() > usize::from(u16::MAX) {
            return Err(Error::TooManyDirectories(dirs.len()));
        }
        let pt_size: usize = dirs
            .iter()
            .map(|d| path_table::record_len(d.ident.len()))
            .sum();
        let pt_size = u32::try_from(pt_size).map_err(|_| Error::TooManyDirectories(dirs.len()))?;
        Ok(Namespace {
            joliet,
            dirs,
            pt_size,
            pt_l: 0,
            pt_m: 0,
        })
    }

    /// Sizes every directory extent and continuation area by generating it once.
    fn measure(&mut self) -> Result<()> {
        let (mut dir_buf, mut ce_buf) = (Vec::new(), Vec::new());
        for joliet in [false, true] {
            let count = self.ns(joliet).map_or(0, |n| n.dirs.len());
            for i in 0..count {
                // Only the size is wanted here: the records are dropped as they are made.
                let len = self.emit_dir(joliet, i, &mut dir_buf, &mut ce_buf, &mut |_| Ok(()))?;
                let (s, c) = (
                    (len / SECTOR_BYTES) as u32,
                    (ce_buf.len() / SECTOR_SIZE) as u32,
                );
                if let Some(d) = self.ns_mut(joliet).and_then(|n| n.dirs.get_mut(i)) {
                    d.sectors = s;
                    d.ce_sectors = c;
                }
            }
        }
        Ok(())
    }

    fn ns(&self, joliet: bool) -> Option<&Namespace> {
        if joliet {
            self.joliet.as_ref()
        } else {
            Some(&self.iso)
        }
    }

    fn ns_mut(&mut self, joliet: bool) -> Option<&mut Namespace> {
        if joliet {
            self.joliet.as_mut()
        } else {
            Some(&mut self.iso)
        }
    }

    /// Assigns every LBA: descriptors, path tables, directories, then file data.
    fn assign(&mut self, order: &[NodeId]) -> Result<()> {
        let mut cur = u64::from(self.start) + u64::from(FIRST_DESCRIPTOR_LBA);
        cur += 2 + u64::from(self.opts.joliet);
        if let Some(m) = self.md5.as_mut() {
            m.superblock_tag = cur as u32;
            cur += 1;
        }
        for joliet in [false, true] {
            if let Some(ns) = self.ns_mut(joliet) {
                let s = u64::from(ns.pt_sectors());
                ns.pt_l = cur as u32;
                ns.pt_m = (cur + s) as u32;
                cur += 2 * s;
            }
        }
        for joliet in [false, true] {
            if let Some(ns) = self.ns_mut(joliet) {
                for d in &mut ns.dirs {
                    d.lba = cur as u32;
                    cur += u64::from(d.sectors);
                    d.ce_lba = cur as u32;
                    cur += u64::from(d.ce_sectors);
                }
            }
        }
        if let Some(m) = self.md5.as_mut() {
            m.tree_tag = cur as u32;
            cur += 1;
        }
        let mut link_lba: HashMap<(u64, u64), u32> = HashMap::new();
        for &id in order {
            let Some(node) = self.tree.node(id) else {
                continue;
            };
            let Kind::File(FileData::Disk { size, link, .. }) = &node.kind else {
                continue;
            };
            let (size, link) = (*size, link.as_deref().copied());
            if size == 0 {
                continue;
            }
            if let Some(&lba) = link.as_ref().and_then(|k| link_lba.get(k)) {
                if let Some(i) = self.info_mut(id) {
                    i.lba = lba;
                }
                continue;
            }
            let lba = u32::try_from(cur).map_err(|_| Error::CapacityExceeded {
                needed: cur,
                available: u64::from(u32::MAX),
            })?;
            if let Some(k) = link {
                link_lba.insert(k, lba);
            }
            if let Some(i) = self.info_mut(id) {
                i.lba = lba;
            }
            self.data.push(id);
            self.data_bytes += size;
            cur += sectors_for(size);
        }
        if let Some(m) = self.md5.as_mut() {
            let too_far = |cur: u64| Error::CapacityExceeded {
                needed: cur,
                available: u64::from(u32::MAX),
            };
            m.array = u32::try_from(cur).map_err(|_| too_far(cur))?;
            cur += u64::from(m.area(self.start).sectors());
            m.session_tag = u32::try_from(cur).map_err(|_| too_far(cur))?;
            cur += 1;
        }
        let limit = u64::from(self.opts.capacity.unwrap_or(u32::MAX));
        if cur > limit {
            return Err(Error::CapacityExceeded {
                needed: cur,
                available: limit,
            });
        }
        self.end = cur as u32;
        Ok(())
    }

    /// Mode, owner and group as recorded: exact (`-R`) or rationalized (`-r`). Entries
    /// imported from an earlier session keep what that session recorded, as mkisofs `-r -M`
    /// does: `-r` describes how this session's sources are recorded, not a rewrite of the
    /// disc's history.
    fn px_fields(&self, node: &Node) -> (u32, u32, u32) {
        let m = node.meta;
        if node.imported {
            return (m.mode, m.uid, m.gid);
        }
        match self.opts.ownership {
            Ownership::Exact => (m.mode, m.uid, m.gid),
            Ownership::Rationalized => {
                let mut perm = m.mode & 0o777;
                perm |= 0o444;
                perm &= !0o222;
                if perm & 0o111 != 0 {
                    perm |= 0o111;
                }
                ((m.mode & S_IFMT) | perm, 0, 0)
            }
        }
    }

    fn rr_entries(&self, id: NodeId, e: &mut Entries, name: bool) -> Result<()> {
        let node = self.node(id)?;
        let info = self.info(id);
        let (mode, uid, gid) = self.px_fields(node);
        e.px(mode, info.nlink, uid, gid, info.serial);
        let m = node.meta;
        if self.opts.source_date_epoch.is_some() {
            e.tf(m.mtime, m.mtime, m.mtime);
        } else {
            e.tf(m.mtime, m.atime, m.ctime);
        }
        if name {
            e.nm(&node.name);
            match &node.kind {
                Kind::Symlink(t) => e.sl(t),
                Kind::Device(rdev) => e.pn(*rdev),
                _ => {}
            }
            if info.md5_index != 0 {
                e.al_isofs(CX_NAME, &info.md5_index.to_be_bytes());
            }
        }
        Ok(())
    }

    /// Extents of a regular file as recorded (several for files of 4 GiB and more).
    fn file_extents(&self, id: NodeId, data: &FileData) -> Vec<Extent> {
        match data {
            FileData::Imported { extents, .. } => extents.to_vec(),
            FileData::Disk { size, .. } => {
                let lba = self.info(id).lba;
                let mut out = Vec::new();
                let mut left = *size;
                let mut at = lba;
                loop {
                    let len = left.min(u64::from(MAX_SECTION)) as u32;
                    out.push(Extent {
                        lba: if *size == 0 { 0 } else { at },
                        len,
                    });
                    left -= u64::from(len);
                    at = at.wrapping_add(SECTION_SECTORS);
                    if left == 0 {
                        break;
                    }
                }
                out
            }
        }
    }

    /// Generates one directory's extent, handing it to `out` in batches of whole sectors
    /// (`dir_buf` is the batch buffer), and its continuation areas into `ce_buf`, both padded
    /// to whole sectors. Returns the extent's length in bytes.
    fn emit_dir(
        &self,
        joliet: bool,
        index: usize,
        dir_buf: &mut Vec<u8>,
        ce_buf: &mut Vec<u8>,
        out: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<u64> {
        dir_buf.clear();
        ce_buf.clear();
        let ns = self.ns(joliet).ok_or(Error::LayoutMismatch {
            what: "namespace",
            planned: 1,
            actual: 0,
        })?;
        let missing = || Error::LayoutMismatch {
            what: "directory plan",
            planned: index as u64,
            actual: 0,
        };
        let plan = ns.dirs.get(index).ok_or_else(missing)?;
        let parent = ns.dirs.get(plan.parent).ok_or_else(missing)?;
        let rr = !joliet;
        let mut cursor = CeCursor::new(plan.ce_lba);
        let mut entries = Entries::default();
        let mut su = Vec::new();

        let mut dir_out = DirWriter {
            buf: dir_buf,
            flushed: 0,
            out,
        };
        let dir_len = |d: &DirPlan| d.sectors.saturating_mul(SECTOR_SIZE as u32);

        // "." and "..": the directory's and its parent's own metadata.
        for (ident, target, node_id) in
            [(ID_SELF, plan, plan.node), (ID_PARENT, parent, parent.node)]
        {
            entries.clear();
            su.clear();
            if rr {
                if plan.node == ROOT && ident == ID_SELF {
                    entries.sp();
                }
                self.rr_entries(node_id, &mut entries, false)?;
                if plan.node == ROOT && ident == ID_SELF {
                    entries.er();
                    if let Some(m) = self.md5 {
                        entries.al_isofs(CA_NAME, &m.area(self.start).encode());
                    }
                }
                let room = MAX_RECORD_LEN - DirRecord::system_use_offset(1);
                spread(&entries, room, &mut cursor, &mut su, ce_buf);
            }
            let node = self.node(node_id)?;
            dir_out.push(DirRecord {
                ext_attr_len: 0,
                extent: target.lba,
                data_length: dir_len(target),
                recorded: encode_short(node.meta.mtime),
                flags: FileFlags::DIRECTORY,
                file_unit_size: 0,
                interleave_gap: 0,
                volume_seq: 1,
                identifier: ident,
                system_use: &su,
            })?;
        }

        let mut ident_buf = Vec::new();
        for &i in &plan.order {
            let ident = plan.idents.bytes(i as usize, &mut ident_buf);
            let child = plan.kids.get(i as usize).ok_or_else(missing)?;
            let node = self.node(*child)?;
            entries.clear();
            su.clear();
            if rr {
                self.rr_entries(*child, &mut entries, true)?;
                let room = MAX_RECORD_LEN - DirRecord::system_use_offset(ident.len());
                spread(&entries, room, &mut cursor, &mut su, ce_buf);
            }
            let recorded = encode_short(node.meta.mtime);
            let mut record = DirRecord {
                ext_attr_len: 0,
                extent: 0,
                data_length: 0,
                recorded,
                flags: FileFlags::default(),
                file_unit_size: 0,
                interleave_gap: 0,
                volume_seq: 1,
                identifier: ident,
                system_use: &su,
            };
            match &node.kind {
                Kind::Dir { .. } => {
                    let info = self.info(*child);
                    let idx = if joliet {
                        info.joliet_dir
                    } else {
                        info.iso_dir
                    };
                    let d = ns
                        .dirs
                        .get((idx as usize).wrapping_sub(1))
                        .ok_or_else(missing)?;
                    record.extent = d.lba;
                    record.data_length = dir_len(d);
                    record.flags = FileFlags::DIRECTORY;
                    dir_out.push(record)?;
                }
                Kind::File(data) => {
                    let extents = self.file_extents(*child, data);
                    let last = extents.len().saturating_sub(1);
                    for (i, x) in extents.iter().enumerate() {
                        record.extent = x.lba;
                        record.data_length = x.len;
                        record.flags = if i < last {
                            FileFlags::MULTI_EXTENT
                        } else {
                            FileFlags::default()
                        };
                        dir_out.push(record)?;
                    }
                }
                Kind::Symlink(_) | Kind::Device(_) | Kind::Fifo => dir_out.push(record)?,
            }
        }
        ce_buf.resize(cursor.sectors() as usize * SECTOR_SIZE, 0);
        dir_out.finish()
    }

    fn root_record(&self, joliet: bool) -> Result<[u8; 34]> {
        let ns = self.ns(joliet).ok_or(Error::LayoutMismatch {
            what: "namespace",
            planned: 1,
            actual: 0,
        })?;
        let root = ns.dirs.first().ok_or(Error::LayoutMismatch {
            what: "root plan",
            planned: 1,
            actual: 0,
        })?;
        let mut v = Vec::with_capacity(34);
        DirRecord {
            ext_attr_len: 0,
            extent: root.lba,
            data_length: root.sectors * SECTOR_SIZE as u32,
            recorded: encode_short(self.node(ROOT)?.meta.mtime),
            flags: FileFlags::DIRECTORY,
            file_unit_size: 0,
            interleave_gap: 0,
            volume_seq: 1,
            identifier: ID_SELF,
            system_use: &[],
        }
        .encode(&mut v);
        let mut out = [0u8; 34];
        crate::raw::bytes::put(&mut out, 0, &v);
        Ok(out)
    }

    fn descriptor(&self, joliet: bool) -> Result<VolumeDescriptor> {
        let ns = self.ns(joliet).ok_or(Error::LayoutMismatch {
            what: "namespace",
            planned: 1,
            actual: 0,
        })?;
        let text = |s: &str| {
            if joliet {
                super::names::joliet_volume_id(s)
            } else {
                s.as_bytes().to_vec()
            }
        };
        Ok(VolumeDescriptor {
            kind: if joliet {
                DescriptorType::SUPPLEMENTARY
            } else {
                DescriptorType::PRIMARY
            },
            escapes: if joliet { *b"%/E" } else { [0; 3] },
            system_id: text("LINUX"),
            volume_id: text(&self.opts.volume_id),
            // Counted from the session's start, as mkisofs -C and libisofs record it: then
            // every session's own descriptors describe it alone, and readers that follow the
            // session chain (libisoburn on overwritable media) find each one. The superblock
            // of an overwritable medium gets the absolute end when it is linked.
            volume_space_size: self.end - self.start,
            path_table_size: ns.pt_size,
            path_table_l: ns.pt_l,
            path_table_m: ns.pt_m,
            root_record: self.root_record(joliet)?,
            volume_set_id: text(&self.opts.volume_id),
            publisher_id: Vec::new(),
            preparer_id: Vec::new(),
            application_id: text("SPINDLE"),
            created: Some(self.now),
            modified: Some(self.now),
        })
    }

    fn path_table(&self, ns: &Namespace, endian: Endian) -> Vec<u8> {
        let mut out = Vec::with_capacity(ns.pt_size as usize);
        for d in &ns.dirs {
            path_table::encode(d.lba, (d.parent + 1) as u16, &d.ident, endian, &mut out);
        }
        out
    }

    /// Streams the planned image into `out`, one pass over the source files, and checks at every
    /// region that the bytes land where the plan put them.
    ///
    /// The output is the session's sectors only, from [`Layout::start_lba`] on: for a
    /// multisession append, write it at byte `start_lba * 2048` of the medium.
    ///
    /// # Errors
    /// `FileChanged` when a source file's size or mtime differs from the plan, `FileReplaced`
    /// when its path now names a symbolic link or another file (the partial output must then
    /// be discarded; source files are opened without following symbolic links and read only
    /// once they are known to be the files planned), `Source` and `Output` for I/O errors, and
    /// `LayoutMismatch` if the writer disagrees with its own plan (a bug).
    pub fn write_to<W: Write>(&self, out: W) -> Result<WriteSummary> {
        self.write_sink(Sink::new(out, self.start))
    }

    /// [`Layout::write_to`] into a file or pipe descriptor: large file extents are copied by
    /// the kernel (sendfile, splice, copy_file_range) without passing through user space.
    /// Use it for `-o -` and other plain descriptors; the bytes are the same.
    ///
    /// # Errors
    /// As [`Layout::write_to`].
    pub fn write_to_file(&self, out: &std::fs::File) -> Result<WriteSummary> {
        let direct = out.try_clone().map_err(Error::Output)?;
        // A pipe's default 64 KiB ring makes every sendfile a context switch with the reader;
        // a larger one lets each call move a megabyte. Best effort: unprivileged users may be
        // capped by /proc/sys/fs/pipe-max-size, and then the default stays.
        if out
            .metadata()
            .map(|m| std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()))
            .unwrap_or(false)
        {
            let _ = nix::fcntl::fcntl(
                std::os::fd::AsRawFd::as_raw_fd(out),
                nix::fcntl::FcntlArg::F_SETPIPE_SZ(1 << 20),
            );
        }
        self.write_sink(Sink::new(out, self.start).with_direct(direct))
    }

    fn write_sink<W: Write>(&self, sink: Sink<W>) -> Result<WriteSummary> {
        let mut sink = if self.md5.is_some() {
            sink.with_md5()
        } else {
            sink
        };
        let md5 = self.md5;
        let mut digests: Vec<Digest> = Vec::new();
        if let Some(m) = md5 {
            digests.resize(m.count as usize, checksum::md5(&[]));
            for &(index, carried) in &self.carried {
                if let (Some(slot), Some(d)) = (
                    digests.get_mut(index as usize),
                    self.tree.carried_md5.get(carried as usize),
                ) {
                    *slot = *d;
                }
            }
        }
        sink.zeros(u64::from(FIRST_DESCRIPTOR_LBA) * SECTOR_BYTES)?;
        sink.expect(self.start + FIRST_DESCRIPTOR_LBA, "volume descriptors")?;
        sink.put(&self.descriptor(false)?.encode())?;
        if self.joliet.is_some() {
            sink.put(&self.descriptor(true)?.encode())?;
        }
        sink.put(&encode_terminator())?;
        if let Some(m) = md5 {
            self.put_tag(
                &mut sink,
                TagKind::Superblock,
                m.superblock_tag,
                Some(m.tree_tag),
            )?;
        }
        for ns in [Some(&self.iso), self.joliet.as_ref()]
            .into_iter()
            .flatten()
        {
            for (lba, endian) in [(ns.pt_l, Endian::Little), (ns.pt_m, Endian::Big)] {
                sink.expect(lba, "path table")?;
                sink.put(&self.path_table(ns, endian))?;
                sink.pad_sector()?;
            }
        }
        let (mut dir_buf, mut ce_buf) = (Vec::new(), Vec::new());
        for ns in [Some(&self.iso), self.joliet.as_ref()]
            .into_iter()
            .flatten()
        {
            for (i, d) in ns.dirs.iter().enumerate() {
                sink.expect(d.lba, "directory extent")?;
                let len = self.emit_dir(ns.joliet, i, &mut dir_buf, &mut ce_buf, &mut |b| {
                    sink.put(b)
                })?;
                check_len("directory extent length", d.sectors, len)?;
                sink.expect(d.ce_lba, "continuation area")?;
                check_len(
                    "continuation area length",
                    d.ce_sectors,
                    ce_buf.len() as u64,
                )?;
                sink.put(&ce_buf)?;
            }
        }
        if let Some(m) = md5 {
            self.put_tag(&mut sink, TagKind::Tree, m.tree_tag, Some(m.session_tag))?;
        }
        for &id in &self.data {
            let node = self.node(id)?;
            let Kind::File(FileData::Disk { size, file_id, .. }) = &node.kind else {
                return Err(Error::LayoutMismatch {
                    what: "data node kind",
                    planned: u64::from(S_IFREG),
                    actual: 0,
                });
            };
            sink.expect(self.info(id).lba, "file data")?;
            let planned = FileStamp {
                size: *size,
                mtime: node.meta.mtime,
                mtime_nsec: node.meta.mtime_nsec,
            };
            let path = self.tree.source_path(id).ok_or(Error::LayoutMismatch {
                what: "source path of a data node",
                planned: u64::from(id),
                actual: 0,
            })?;
            let index = self.info(id).md5_index as usize;
            sink.begin_file_md5(*size);
            sink.copy_file(&path, *file_id, planned)?;
            if let (Some(d), Some(slot)) = (sink.end_file_md5(), digests.get_mut(index)) {
                *slot = d;
            }
        }
        let mut session_md5 = None;
        if let Some(m) = md5 {
            sink.expect(m.array, "checksum array")?;
            if let (Some(d), Some(first)) = (sink.session_md5(), digests.first_mut()) {
                *first = d;
            }
            let mut array: Vec<u8> = digests.iter().flatten().copied().collect();
            let own = checksum::md5(
                array
                    .get(..array.len().saturating_sub(ENTRY_LEN))
                    .unwrap_or(&[]),
            );
            array.truncate(array.len().saturating_sub(ENTRY_LEN));
            array.extend_from_slice(&own);
            sink.put(&array)?;
            sink.pad_sector()?;
            session_md5 = Some(self.put_tag(&mut sink, TagKind::Session, m.session_tag, None)?);
        }
        sink.expect(self.end, "end of image")?;
        let written = sink.position();
        sink.finish()?;
        if written != self.size_bytes() {
            return Err(Error::LayoutMismatch {
                what: "image size",
                planned: self.size_bytes(),
                actual: written,
            });
        }
        Ok(WriteSummary {
            sectors: self.sectors(),
            files: self.data.len() as u64,
            data_bytes: self.data_bytes,
            session_md5,
        })
    }

    /// Writes the checksum tag at `pos`, covering everything from the session start;
    /// returns the MD5 it records.
    fn put_tag<W: Write>(
        &self,
        sink: &mut Sink<W>,
        kind: TagKind,
        pos: u32,
        next: Option<u32>,
    ) -> Result<Digest> {
        sink.expect(pos, "checksum tag")?;
        let md5 = sink.session_md5().ok_or(Error::LayoutMismatch {
            what: "checksum state",
            planned: 1,
            actual: 0,
        })?;
        let tag = Tag {
            kind,
            pos,
            range_start: self.start,
            range_size: pos - self.start,
            next,
            md5,
        };
        sink.put(&tag.encode())?;
        Ok(md5)
    }

    /// Paths of the source files in the order `write_to` reads them (built on demand: the
    /// plan keeps no path per file).
    pub fn source_files(&self) -> impl Iterator<Item = std::path::PathBuf> + '_ {
        self.data.iter().filter_map(|&id| self.tree.source_path(id))
    }
}

fn check_len(what: &'static str, planned_sectors: u32, actual_bytes: u64) -> Result<()> {
    let planned = u64::from(planned_sectors) * SECTOR_BYTES;
    if planned != actual_bytes {
        return Err(Error::LayoutMismatch {
            what,
            planned,
            actual: actual_bytes,
        });
    }
    Ok(())
}

/// Batches of directory records handed out as whole sectors, so that a directory of a million
/// entries (over 100 MiB of records) needs no buffer of its size, in planning or writing.
struct DirWriter<'a> {
    buf: &'a mut Vec<u8>,
    /// Bytes handed to `out` so far: whole sectors, so `buf`'s length modulo the sector size
    /// is the position within the current sector.
    flushed: u64,
    out: &'a mut dyn FnMut(&[u8]) -> Result<()>,
}

/// Bytes of records gathered before they are handed on.
const DIR_BATCH: usize = 256 * 1024;

impl DirWriter<'_> {
    /// Appends a record, starting a new sector when it would cross one (ECMA-119 §6.8.1.1).
    fn push(&mut self, rec: DirRecord<'_>) -> Result<()> {
        let len = DirRecord::encoded_len(rec.identifier.len(), rec.system_use.len());
        if self.buf.len() % SECTOR_SIZE + len > SECTOR_SIZE {
            self.buf
                .resize(self.buf.len().next_multiple_of(SECTOR_SIZE), 0);
        }
        rec.encode(self.buf);
        if self.buf.len() >= DIR_BATCH {
            let whole = self.buf.len() / SECTOR_SIZE * SECTOR_SIZE;
            (self.out)(self.buf.get(..whole).unwrap_or(&[]))?;
            self.buf.drain(..whole);
            self.flushed += whole as u64;
        }
        Ok(())
    }

    /// Pads the last sector, hands on the rest and returns the extent's length in bytes.
    fn finish(self) -> Result<u64> {
        self.buf
            .resize(self.buf.len().next_multiple_of(SECTOR_SIZE), 0);
        (self.out)(self.buf)?;
        let len = self.flushed + self.buf.len() as u64;
        self.buf.clear();
        Ok(len)
    }
}
