"""three-net schema: areas, grids, people, cameras, alarms, patrols, disputes, roads, users

Every geometry gets a GiST index and CHECKs (valid, not empty, inside China); every foreign key a
B-tree index. A dispute's village and grid are filled from its location by a trigger: a point on
a border shared by several grids goes to the grid with the smallest code (then the village of
that grid); outside every grid, to the covering village with the smallest code.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

GEOMETRY_COLUMNS = [
    ('admin_area', 'geom'), ('grid', 'geom'), ('camera', 'geom'), ('alarm_point', 'geom'),
    ('alarm_point', 'premises'), ('patrol_route', 'geom'), ('dispute', 'geom'), ('road', 'geom'),
]
FOREIGN_KEY_COLUMNS = [
    ('admin_area', 'parent_id'), ('grid', 'village_id'), ('person', 'team_id'),
    ('person_assignment', 'person_id'), ('person_assignment', 'area_id'),
    ('person_assignment', 'grid_id'), ('alarm_camera', 'camera_id'), ('patrol_route', 'team_id'),
    ('patrol_window', 'route_id'), ('dispute', 'village_id'), ('dispute', 'grid_id'),
    ('api_token', 'user_id'), ('user_grid', 'grid_id'),
]

ASSIGN_DISPUTE_AREA = """
CREATE FUNCTION dispute_assign_area() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.grid_id := NULL;
    NEW.village_id := NULL;
    SELECT g.id, g.village_id INTO NEW.grid_id, NEW.village_id
      FROM grid g WHERE ST_Covers(g.geom, NEW.geom) ORDER BY g.code LIMIT 1;
    IF NEW.grid_id IS NULL THEN
        SELECT a.id INTO NEW.village_id
          FROM admin_area a WHERE a.level = 'village' AND ST_Covers(a.geom, NEW.geom)
         ORDER BY a.code LIMIT 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dispute_assign_area BEFORE INSERT OR UPDATE OF geom ON dispute
    FOR EACH ROW EXECUTE FUNCTION dispute_assign_area();
"""

# When a grid is added, moved, recoded or removed, the disputes it touches are placed again.
REASSIGN_DISPUTES_ON_GRID_CHANGE = """
CREATE FUNCTION grid_reassign_disputes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE dispute d SET geom = d.geom
     WHERE (TG_OP <> 'DELETE' AND ST_Intersects(d.geom, NEW.geom))
        OR (TG_OP <> 'INSERT' AND ST_Intersects(d.geom, OLD.geom));
    RETURN NULL;
END $$;
CREATE TRIGGER grid_reassign_disputes AFTER INSERT OR DELETE OR UPDATE OF geom, code, village_id
    ON grid FOR EACH ROW EXECUTE FUNCTION grid_reassign_disputes();
"""


def upgrade() -> None:
    op.execute('CREATE EXTENSION IF NOT EXISTS postgis')
    op.create_table('admin_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]+$' AND length(code) = CASE level WHEN 'county' THEN 6 WHEN 'township' THEN 9 ELSE 12 END", name='ck_admin_area_code'),
    sa.CheckConstraint("level IN ('county', 'township', 'village')", name='ck_admin_area_level'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_admin_area_geom_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_admin_area_geom_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_admin_area_geom_valid'),
    sa.CheckConstraint('length(btrim(name)) BETWEEN 1 AND 100', name='ck_admin_area_name_length'),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_area.id'], name='fk_admin_area_parent_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_admin_area_code')
    )
    op.create_table('alarm_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('enterprise', sa.String(length=200), nullable=False),
    sa.Column('response_radius_m', sa.Float(), server_default='200', nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('premises', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_alarm_point_code'),
    sa.CheckConstraint("contact_phone ~ '^[0-9+() -]{5,20}$'", name='ck_alarm_point_contact_phone'),
    sa.CheckConstraint("status IN ('online', 'offline', 'faulty', 'planned')", name='ck_alarm_point_status'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_alarm_point_geom_not_empty'),
    sa.CheckConstraint('NOT ST_IsEmpty(premises)', name='ck_alarm_point_premises_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_alarm_point_geom_in_china'),
    sa.CheckConstraint('ST_IsEmpty(premises) OR ST_CoveredBy(premises, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_alarm_point_premises_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_alarm_point_geom_valid'),
    sa.CheckConstraint('ST_IsValid(premises)', name='ck_alarm_point_premises_valid'),
    sa.CheckConstraint('length(btrim(enterprise)) BETWEEN 1 AND 200', name='ck_alarm_point_enterprise_length'),
    sa.CheckConstraint('response_radius_m > 0 AND response_radius_m <= 5000', name='ck_alarm_point_response_radius_m'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_alarm_point_code')
    )
    op.create_table('camera',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('azimuth', sa.Float(), nullable=True),
    sa.Column('fov_deg', sa.Float(), nullable=False),
    sa.Column('range_m', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=True),
    sa.Column('night_vision', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('height_m', sa.Float(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_camera_code'),
    sa.CheckConstraint("kind <> 'bullet' OR azimuth IS NOT NULL", name='ck_camera_bullet_azimuth'),
    sa.CheckConstraint("kind IN ('bullet', 'dome', 'panoramic')", name='ck_camera_kind'),
    sa.CheckConstraint("status IN ('online', 'offline', 'faulty', 'planned')", name='ck_camera_status'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_camera_geom_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_camera_geom_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_camera_geom_valid'),
    sa.CheckConstraint('azimuth >= 0 AND azimuth < 360', name='ck_camera_azimuth'),
    sa.CheckConstraint('fov_deg >= 1 AND fov_deg <= 360', name='ck_camera_fov_deg'),
    sa.CheckConstraint('height_m >= 0 AND height_m <= 300', name='ck_camera_height_m'),
    sa.CheckConstraint('length(btrim(name)) BETWEEN 1 AND 200', name='ck_camera_name_length'),
    sa.CheckConstraint('range_m > 0 AND range_m <= 3000', name='ck_camera_range_m'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_camera_code')
    )
    op.create_table('patrol_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_patrol_team_code'),
    sa.CheckConstraint('length(btrim(name)) BETWEEN 1 AND 100', name='ck_patrol_team_name_length'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_patrol_team_code')
    )
    op.create_table('road',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('road_class', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("road_class IN ('trunk', 'primary', 'secondary', 'tertiary', 'residential', 'service', 'track', 'path')", name='ck_road_road_class'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_road_geom_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_road_geom_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_road_geom_valid'),
    sa.CheckConstraint('length(name) <= 100', name='ck_road_name'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('alarm_camera',
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('camera_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarm_point.id'], name='fk_alarm_camera_alarm_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['camera_id'], ['camera.id'], name='fk_alarm_camera_camera_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alarm_id', 'camera_id')
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("login ~ '^[a-z0-9_.-]{2,64}$'", name='ck_app_user_login'),
    sa.CheckConstraint("role <> 'team_leader' OR team_id IS NOT NULL", name='ck_app_user_leader_team'),
    sa.CheckConstraint("role IN ('center', 'team_leader', 'planner', 'grid_worker', 'viewer')", name='ck_app_user_role'),
    sa.ForeignKeyConstraint(['team_id'], ['patrol_team.id'], name='fk_app_user_team_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('login', name='uq_app_user_login')
    )
    op.create_table('grid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('village_id', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_grid_code'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_grid_geom_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_grid_geom_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_grid_geom_valid'),
    sa.CheckConstraint('length(btrim(name)) BETWEEN 1 AND 100', name='ck_grid_name_length'),
    sa.CheckConstraint('population >= 0', name='ck_grid_population'),
    sa.ForeignKeyConstraint(['village_id'], ['admin_area.id'], name='fk_grid_village_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_grid_code')
    )
    op.create_table('patrol_route',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=12), nullable=False),
    sa.Column('sight_width_m', sa.Float(), nullable=True),
    sa.Column('weekdays', sa.ARRAY(sa.SmallInteger()), server_default='{1,2,3,4,5,6,7}', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_patrol_route_code'),
    sa.CheckConstraint("mode IN ('foot', 'ebike', 'motorcycle', 'car')", name='ck_patrol_route_mode'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_patrol_route_geom_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_patrol_route_geom_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_patrol_route_geom_valid'),
    sa.CheckConstraint('cardinality(weekdays) > 0 AND weekdays <@ ARRAY[1,2,3,4,5,6,7]::smallint[]', name='ck_patrol_route_weekdays'),
    sa.CheckConstraint('length(btrim(name)) BETWEEN 1 AND 100', name='ck_patrol_route_name_length'),
    sa.CheckConstraint('sight_width_m > 0 AND sight_width_m <= 500', name='ck_patrol_route_sight_width_m'),
    sa.ForeignKeyConstraint(['team_id'], ['patrol_team.id'], name='fk_patrol_route_team_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_patrol_route_code')
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_person_code'),
    sa.CheckConstraint("phone ~ '^[0-9+() -]{5,20}$'", name='ck_person_phone'),
    sa.CheckConstraint("role IN ('community_police', 'auxiliary_police', 'coordinator', 'grid_worker', 'patroller')", name='ck_person_role'),
    sa.CheckConstraint('length(btrim(name)) BETWEEN 1 AND 100', name='ck_person_name_length'),
    sa.ForeignKeyConstraint(['team_id'], ['patrol_team.id'], name='fk_person_team_id', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_person_code')
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_api_token_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash', name='uq_api_token_token_hash')
    )
    op.create_table('dispute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('parties', sa.Text(), nullable=True),
    sa.Column('parties_phone', sa.String(length=20), nullable=True),
    sa.Column('grade', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('village_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL) AND (closed_at IS NULL OR closed_at >= received_at)", name='ck_dispute_closed_at'),
    sa.CheckConstraint("category ~ '^[a-z_]{1,30}$'", name='ck_dispute_category'),
    sa.CheckConstraint("code ~ '^[0-9A-Za-z_.-]{1,32}$'", name='ck_dispute_code'),
    sa.CheckConstraint("grade IN ('ordinary', 'complex', 'difficult')", name='ck_dispute_grade'),
    sa.CheckConstraint("parties_phone ~ '^[0-9+() -]{5,20}$'", name='ck_dispute_parties_phone'),
    sa.CheckConstraint("source IN ('grid_worker', 'reception', 'hotline', 'police', 'other')", name='ck_dispute_source'),
    sa.CheckConstraint("status IN ('received', 'routed', 'handling', 'feedback', 'closed')", name='ck_dispute_status'),
    sa.CheckConstraint('NOT ST_IsEmpty(geom)', name='ck_dispute_geom_not_empty'),
    sa.CheckConstraint('ST_IsEmpty(geom) OR ST_CoveredBy(geom, ST_MakeEnvelope(73.4, 3.8, 135.1, 53.6, 4326))', name='ck_dispute_geom_in_china'),
    sa.CheckConstraint('ST_IsValid(geom)', name='ck_dispute_geom_valid'),
    sa.CheckConstraint('due_at >= received_at', name='ck_dispute_due_after_received'),
    sa.CheckConstraint('length(btrim(summary)) BETWEEN 1 AND 2000', name='ck_dispute_summary_length'),
    sa.CheckConstraint('length(parties) <= 500', name='ck_dispute_parties'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name='fk_dispute_grid_id', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_id'], ['admin_area.id'], name='fk_dispute_village_id', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_dispute_code')
    )
    op.create_table('patrol_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.CheckConstraint('starts <> ends', name='ck_patrol_window_not_empty'),
    sa.ForeignKeyConstraint(['route_id'], ['patrol_route.id'], name='fk_patrol_window_route_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('person_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('num_nonnulls(area_id, grid_id) = 1', name='ck_person_assignment_one_target'),
    sa.ForeignKeyConstraint(['area_id'], ['admin_area.id'], name='fk_person_assignment_area_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name='fk_person_assignment_grid_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name='fk_person_assignment_person_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('user_grid',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name='fk_user_grid_grid_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_user_grid_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'grid_id')
    )
    op.create_foreign_key('fk_patrol_team_leader_id', 'patrol_team', 'person', ['leader_id'], ['id'],
                          ondelete='SET NULL')
    for table, column in GEOMETRY_COLUMNS:
        op.create_index(f'ix_{table}_{column}', table, [column], postgresql_using='gist')
    for table, column in FOREIGN_KEY_COLUMNS:
        op.create_index(f'ix_{table}_{column}', table, [column])
    op.execute(ASSIGN_DISPUTE_AREA)
    op.execute(REASSIGN_DISPUTES_ON_GRID_CHANGE)


def downgrade() -> None:
    op.execute('DROP TRIGGER IF EXISTS grid_reassign_disputes ON grid')
    op.execute('DROP FUNCTION IF EXISTS grid_reassign_disputes()')
    op.execute('DROP TRIGGER IF EXISTS dispute_assign_area ON dispute')
    op.execute('DROP FUNCTION IF EXISTS dispute_assign_area()')
    op.drop_constraint('fk_patrol_team_leader_id', 'patrol_team', type_='foreignkey')
    op.drop_table('user_grid')
    op.drop_table('person_assignment')
    op.drop_table('patrol_window')
    op.drop_table('dispute')
    op.drop_table('api_token')
    op.drop_table('person')
    op.drop_table('patrol_route')
    op.drop_table('grid')
    op.drop_table('app_user')
    op.drop_table('alarm_camera')
    op.drop_table('road')
    op.drop_table('patrol_team')
    op.drop_table('camera')
    op.drop_table('alarm_point')
    op.drop_table('admin_area')
